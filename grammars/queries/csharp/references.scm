; References: identifiers the code uses (C# type names are identifiers too).

(identifier) @reference
