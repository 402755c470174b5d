; Imports: @import is the statement, @import.source the module path as written
; (relative imports keep their leading dots), @import.name each imported name.

(import_statement name: (dotted_name) @import.source) @import

(import_statement name: (aliased_import name: (dotted_name) @import.source)) @import

(import_from_statement
  module_name: (_) @import.source
  name: (dotted_name) @import.name) @import

(import_from_statement
  module_name: (_) @import.source
  name: (aliased_import name: (dotted_name) @import.name)) @import

(import_from_statement
  module_name: (_) @import.source
  (wildcard_import)) @import
