; Imports: @import is the item. `use` items capture their whole argument as @import.source
; (the resolver expands `a::{b, c}` lists); `mod x;` declarations capture @import.module.

(use_declaration argument: (_) @import.source) @import

(mod_item name: (identifier) @import.module !body) @import
