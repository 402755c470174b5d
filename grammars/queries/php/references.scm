; References: names the code uses (functions, classes, members, constants).

(name) @reference
