def summary(names: list[str]) -> str:
    """One line: how many names, then the names."""
    total = len(names)
    return "Total: " + total + " (" + ", ".join(names) + ")"
