; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node,
; @container (optional) the name of the definition it belongs to when it is not inside it.
; The first pattern that matches a node decides its kind.

(method_definition name: (property_identifier) @name) @definition.method

(function_declaration name: (identifier) @name) @definition.function

(generator_function_declaration name: (identifier) @name) @definition.function

(class_declaration name: (identifier) @name) @definition.class

; const f = () => ... / const f = function () {...}
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression)])) @definition.function

(variable_declaration
  (variable_declarator
    name: (identifier) @name
    value: [(arrow_function) (function_expression)])) @definition.function

; CommonJS: exports.f = function () {...}, module.exports.f = (...) => ...
(expression_statement
  (assignment_expression
    left: (member_expression
      object: [(identifier) @_exports
               (member_expression object: (identifier) @_module property: (property_identifier) @_exports)]
      property: (property_identifier) @name)
    right: [(arrow_function) (function_expression)])
  (#eq? @_exports "exports")) @definition.function

; Pre-class JavaScript, at the top level: Runner.prototype.run = function () {...} is a method
; of Runner, and app.handle = function handle() {...} a function of the object it fills.
(program
  (expression_statement
    (assignment_expression
      left: (member_expression
        object: (member_expression
          object: (identifier) @container
          property: (property_identifier) @_prototype)
        property: (property_identifier) @name)
      right: [(arrow_function) (function_expression)])) @definition.method
  (#eq? @_prototype "prototype"))

(program
  (expression_statement
    (assignment_expression
      left: (member_expression
        object: (identifier)
        property: (property_identifier) @name)
      right: [(arrow_function) (function_expression)])) @definition.function)

; const Thing = class {...}
(lexical_declaration
  (variable_declarator
    name: (identifier) @name
    value: (class))) @definition.class

; Top-level (or exported) constants.
(program
  (lexical_declaration
    (variable_declarator name: (identifier) @name)) @definition.constant)

(program
  (export_statement
    declaration: (lexical_declaration
      (variable_declarator name: (identifier) @name)) @definition.constant))
