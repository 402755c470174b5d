; References: identifiers and type names the code uses.

(identifier) @reference
(type_identifier) @reference
