from limits import clamp_percent

assert clamp_percent(150) == 100, clamp_percent(150)
assert clamp_percent(-5) == 0, clamp_percent(-5)
assert clamp_percent(42) == 42, clamp_percent(42)
