; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.
; The first pattern that matches a node decides its kind.

(method_declaration name: (identifier) @name) @definition.method

(constructor_declaration name: (identifier) @name) @definition.method

(class_declaration name: (identifier) @name) @definition.class

(record_declaration name: (identifier) @name) @definition.class

(interface_declaration name: (identifier) @name) @definition.interface

(annotation_type_declaration name: (identifier) @name) @definition.interface

(enum_declaration name: (identifier) @name) @definition.enum

; static final fields are the constants of Java.
((field_declaration
   (modifiers) @_mods
   declarator: (variable_declarator name: (identifier) @name)) @definition.constant
  (#match? @_mods "static")
  (#match? @_mods "final"))

(field_declaration
  declarator: (variable_declarator name: (identifier) @name)) @definition.variable
