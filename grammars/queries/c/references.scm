; References: identifiers, fields and type names the code uses.

(identifier) @reference
(type_identifier) @reference
(field_identifier) @reference
