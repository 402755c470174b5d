; Definitions: @name is the symbol's name, @definition.<kind> the whole definition node.

(function_definition name: (word) @name) @definition.function

(program (variable_assignment name: (variable_name) @name) @definition.variable)

(program
  (declaration_command (variable_assignment name: (variable_name) @name)) @definition.variable)
