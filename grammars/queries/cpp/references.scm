; inherits: c
; References: C's (identifiers, fields and type names, ../c/references.scm), and namespaces.

(namespace_identifier) @reference
