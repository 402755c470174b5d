from calendar_utils import days_in_year, is_leap

assert is_leap(2024), "2024"
assert not is_leap(1900), "1900"
assert is_leap(2000), "2000"
assert not is_leap(2023), "2023"
assert days_in_year(2024) == 366
