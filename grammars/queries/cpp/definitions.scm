; inherits: c
; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.
; C's patterns (functions, header prototypes, structs, typedefs, macros) come first, from
; ../c/definitions.scm; these are C++'s own.

; Member functions (inside a class body, or defined out of line as A::f) are methods.
(field_declaration_list
  (function_definition
    declarator: (function_declarator declarator: (field_identifier) @name)) @definition.method)

(field_declaration_list
  (field_declaration
    declarator: (function_declarator declarator: (field_identifier) @name)) @definition.method)

(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier name: (identifier) @name))) @definition.method

(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      name: (qualified_identifier name: (identifier) @name)))) @definition.method

(function_definition
  declarator: (reference_declarator
    (function_declarator declarator: (identifier) @name))) @definition.function

(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(alias_declaration name: (type_identifier) @name) @definition.type

(namespace_definition name: (namespace_identifier) @name) @definition.namespace
