; References: identifiers the code uses (names, attributes, types); keywords, strings and
; comments never match.

(identifier) @reference
