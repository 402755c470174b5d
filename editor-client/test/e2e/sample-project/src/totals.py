def add(a, b):
    return a + b


def total(items):
    result = 0
    for item in items:
        result = add(result, item)
    return result


def total_again(items):
    result = 0
    for item in items:
        result = 