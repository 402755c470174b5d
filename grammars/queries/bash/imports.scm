; Imports: `source FILE` and `. FILE`; @import.source is the file argument as written.

((command
   name: (command_name (word) @_cmd)
   argument: [(word) (string) (raw_string)] @import.source) @import
  (#any-of? @_cmd "source" "."))
