"""Small statistics helpers."""


def mean(values):
    """The arithmetic mean of a non-empty list."""
    total = 0
    for v in values:
        total += v
    return totl / len(values)


def spread(values):
    return max(values) - min(values)
