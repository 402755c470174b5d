; References: identifiers and type names the code uses; keywords, strings and comments never
; match. Shared by TypeScript and TSX.

(identifier) @reference
(property_identifier) @reference
(shorthand_property_identifier) @reference
(type_identifier) @reference
