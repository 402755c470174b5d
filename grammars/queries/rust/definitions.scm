; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.
; Functions inside impl and trait blocks are methods (matched first).

(impl_item body: (declaration_list
  (function_item name: (identifier) @name) @definition.method))

(trait_item body: (declaration_list
  (function_item name: (identifier) @name) @definition.method))

(trait_item body: (declaration_list
  (function_signature_item name: (identifier) @name) @definition.method))

(function_item name: (identifier) @name) @definition.function

(struct_item name: (type_identifier) @name) @definition.class

(union_item name: (type_identifier) @name) @definition.class

(enum_item name: (type_identifier) @name) @definition.enum

(trait_item name: (type_identifier) @name) @definition.interface

(type_item name: (type_identifier) @name) @definition.type

(const_item name: (identifier) @name) @definition.constant

(static_item name: (identifier) @name) @definition.constant

(mod_item name: (identifier) @name body: (declaration_list)) @definition.module

(macro_definition name: (identifier) @name) @definition.macro
