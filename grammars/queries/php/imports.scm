; Imports: @import is the statement; @import.source a `use` name (qualified, backslashes kept)
; or the path string of require/include.

(namespace_use_declaration
  (namespace_use_clause [(qualified_name) (name)] @import.source)) @import

; use App\Util\{A, B}: the prefix is the source, the group members are names.
(namespace_use_declaration
  (namespace_name) @import.source
  body: (namespace_use_group
    (namespace_use_clause [(qualified_name) (name)] @import.name))) @import

(require_expression (string) @import.source) @import
(require_once_expression (string) @import.source) @import
(include_expression (string) @import.source) @import
(include_once_expression (string) @import.source) @import

; require __DIR__ . '/x.php'
(require_expression (binary_expression right: (string) @import.source)) @import
(require_once_expression (binary_expression right: (string) @import.source)) @import
(include_expression (binary_expression right: (string) @import.source)) @import
(include_once_expression (binary_expression right: (string) @import.source)) @import
