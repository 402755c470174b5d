; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.

(function_definition
  declarator: (function_declarator declarator: (identifier) @name)) @definition.function

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @name))) @definition.function

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

(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @definition.class

(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @definition.enum

(type_definition declarator: (type_identifier) @name) @definition.type

(type_definition
  declarator: (pointer_declarator declarator: (type_identifier) @name)) @definition.type

(preproc_def name: (identifier) @name) @definition.constant

(preproc_function_def name: (identifier) @name) @definition.macro
