; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.
; Methods are matched before plain functions; the loader keeps the first kind per node.

(class_definition
  body: (block
    (function_definition name: (identifier) @name) @definition.method))

(class_definition
  body: (block
    (decorated_definition
      definition: (function_definition name: (identifier) @name) @definition.method)))

(function_definition name: (identifier) @name) @definition.function

(class_definition name: (identifier) @name) @definition.class

; Module-level assignments: UPPER_CASE names are constants, the rest plain variables
; (type aliases and module singletons such as `app = Flask(...)` are worth knowing too).
(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))

(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.variable)
  (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))

(module
  (type_alias_statement left: (type (identifier) @name)) @definition.type)
