from stats import mean, spread

assert mean([1, 2, 3, 6]) == 3, mean([1, 2, 3, 6])
assert spread([4, 1, 9]) == 8
