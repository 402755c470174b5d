; Imports: @import is the using directive, @import.source the namespace or type it names.

(using_directive (qualified_name) @import.source) @import

(using_directive . (identifier) @import.source .) @import
