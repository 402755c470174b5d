def sum_to(n):
    """1 + 2 + ... + n."""
    total = 0
    for i in range(1, n):
        total += i
    return total


def squares(n):
    return [i * i for i in range(n)]
