; Imports: @import is the statement, @import.source the dotted name (a trailing `.*` is kept
; in the statement text, which the resolver reads to tell wildcards apart).

(import_declaration (scoped_identifier) @import.source) @import

(import_declaration (identifier) @import.source) @import
