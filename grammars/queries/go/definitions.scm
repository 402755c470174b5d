; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.

(method_declaration name: (field_identifier) @name) @definition.method

(function_declaration name: (identifier) @name) @definition.function

(type_declaration
  (type_spec name: (type_identifier) @name type: (struct_type))) @definition.class

(type_declaration
  (type_spec name: (type_identifier) @name type: (interface_type))) @definition.interface

(type_declaration (type_spec name: (type_identifier) @name)) @definition.type

(type_declaration (type_alias name: (type_identifier) @name)) @definition.type

(source_file
  (const_declaration (const_spec name: (identifier) @name) @definition.constant))

(source_file
  (var_declaration (var_spec name: (identifier) @name) @definition.variable))
