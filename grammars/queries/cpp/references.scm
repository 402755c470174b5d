; References: identifiers, fields, namespaces and type names the code uses.

(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
(namespace_identifier) @reference
