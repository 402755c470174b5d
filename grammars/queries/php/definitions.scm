; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.

(method_declaration name: (name) @name) @definition.method

(function_definition name: (name) @name) @definition.function

(class_declaration name: (name) @name) @definition.class

(trait_declaration name: (name) @name) @definition.class

(interface_declaration name: (name) @name) @definition.interface

(enum_declaration name: (name) @name) @definition.enum

(const_declaration (const_element (name) @name)) @definition.constant

(namespace_definition name: (namespace_name) @name) @definition.namespace
