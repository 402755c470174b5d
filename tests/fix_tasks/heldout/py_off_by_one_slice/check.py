from recent import last_n

assert last_n([1, 2, 3, 4], 2) == [3, 4], last_n([1, 2, 3, 4], 2)
assert last_n([1, 2], 0) == []
assert last_n([1, 2], 1) == [2]
