; inherits: javascript
; TypeScript and TSX: JavaScript's imports (ES, CommonJS, dynamic), and TypeScript's own form.

; import fs = require("fs")
(import_require_clause source: (string) @import.source) @import
