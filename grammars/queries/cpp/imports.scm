; inherits: c
; Imports: the same #include patterns as C (../c/imports.scm).
