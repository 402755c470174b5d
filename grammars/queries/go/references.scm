; References: identifiers, package names, fields and type names the code uses.

(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
(package_identifier) @reference
