from billing import invoice_line

got = invoice_line("tea", 3, 1.5, "EUR")
assert got == "tea x3: 4.50 EUR", got
