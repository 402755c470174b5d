def clamp(value, low, high):
    """value, moved into [low, high]."""
    return max(low, min(value, high))


def clamp_percent(p):
    return clamp(p, 0, 100)
