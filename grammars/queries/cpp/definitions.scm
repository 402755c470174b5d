; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.
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
  declarator: (function_declarator declarator: (identifier) @name)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @name))) @definition.function

(function_definition
  declarator: (reference_declarator
    (function_declarator declarator: (identifier) @name))) @definition.function

; Prototypes in headers: often the only place a signature is written down. They sit at the top
; level, inside include guards and #if blocks, or in an extern "C" { } (or namespace) body; never
; inside a function.
(translation_unit
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(translation_unit
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(preproc_ifdef
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(preproc_ifdef
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(preproc_if
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(preproc_if
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(preproc_else
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(preproc_else
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(preproc_elif
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(preproc_elif
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(declaration_list
  (declaration
    declarator: (function_declarator declarator: (identifier) @name)) @definition.function)

(declaration_list
  (declaration
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name))) @definition.function)

(class_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @definition.enum

(type_definition declarator: (type_identifier) @name) @definition.type

(alias_declaration name: (type_identifier) @name) @definition.type

(namespace_definition name: (namespace_identifier) @name) @definition.module

(preproc_def name: (identifier) @name) @definition.constant

(preproc_function_def name: (identifier) @name) @definition.macro
