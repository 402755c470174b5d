; Imports: @import is the import spec, @import.source the quoted package path.

(import_spec path: (interpreted_string_literal) @import.source) @import
