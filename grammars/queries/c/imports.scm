; Imports: @import is the #include, @import.source its path with quotes or angle brackets.

(preproc_include path: [(string_literal) (system_lib_string)] @import.source) @import
