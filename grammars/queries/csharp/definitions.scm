; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.

(method_declaration name: (identifier) @name) @definition.method

(constructor_declaration name: (identifier) @name) @definition.method

; Properties are read and written like fields (`order.Total`, never `order.Total()`).
(property_declaration name: (identifier) @name) @definition.field

(local_function_statement name: (identifier) @name) @definition.function

(class_declaration name: (identifier) @name) @definition.class

(struct_declaration name: (identifier) @name) @definition.class

(record_declaration name: (identifier) @name) @definition.class

(interface_declaration name: (identifier) @name) @definition.interface

(enum_declaration name: (identifier) @name) @definition.enum

(delegate_declaration name: (identifier) @name) @definition.type

(namespace_declaration name: (_) @name) @definition.namespace

(file_scoped_namespace_declaration name: (_) @name) @definition.namespace

((field_declaration
   (modifier) @_mod
   (variable_declaration (variable_declarator name: (identifier) @name))) @definition.constant
  (#eq? @_mod "const"))

; The other fields, after the constants (the first pattern to match a node names its kind).
(field_declaration
  (variable_declaration (variable_declarator name: (identifier) @name))) @definition.field
