from report import summary

got = summary(["a", "b"])
assert got == "Total: 2 (a, b)", got
