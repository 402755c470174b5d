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

; Annotated class attributes (dataclass, pydantic, TypedDict and NamedTuple fields): a class's
; fields are its API, and a class too long to show whole is shown as a stub that lists them.
(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name type: (_)) @definition.field)))

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
