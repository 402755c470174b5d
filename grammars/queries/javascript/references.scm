; References: identifiers the code uses; keywords, strings and comments never match.

(identifier) @reference
(property_identifier) @reference
(shorthand_property_identifier) @reference
