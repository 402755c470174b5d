; Imports: @import is the statement, @import.source the module specifier (with its quotes),
; @import.name each imported binding.

(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name)))
  source: (string) @import.source) @import

(import_statement
  (import_clause (identifier) @import.name)
  source: (string) @import.source) @import

; import * as ns from "./x" binds the module's exports to ns
(import_statement
  (import_clause (namespace_import (identifier) @import.name))
  source: (string) @import.source) @import

(import_statement source: (string) @import.source) @import

(export_statement source: (string) @import.source) @import

; require("./x") and import("./x")
((call_expression
   function: (identifier) @_fn
   arguments: (arguments . (string) @import.source)) @import
  (#eq? @_fn "require"))

; const { a, b: c } = require("./x") names a and b; const x = require("./x") binds x
((variable_declarator
   name: (object_pattern
     [(shorthand_property_identifier_pattern) @import.name
      (pair_pattern key: (property_identifier) @import.name)])
   value: (call_expression
     function: (identifier) @_fn
     arguments: (arguments . (string) @import.source))) @import
  (#eq? @_fn "require"))

((variable_declarator
   name: (identifier) @import.name
   value: (call_expression
     function: (identifier) @_fn
     arguments: (arguments . (string) @import.source))) @import
  (#eq? @_fn "require"))

(call_expression
  function: (import)
  arguments: (arguments . (string) @import.source)) @import
