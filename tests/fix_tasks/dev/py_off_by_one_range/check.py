from series import squares, sum_to

assert sum_to(3) == 6, sum_to(3)
assert sum_to(1) == 1
assert squares(3) == [0, 1, 4]
