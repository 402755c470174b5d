; References: commands called and variables read.

(command_name (word) @reference)
(variable_name) @reference
