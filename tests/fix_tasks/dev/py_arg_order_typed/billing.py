"""Invoice lines."""


def format_price(amount: float, currency: str) -> str:
    """Two decimals followed by the currency code, e.g. '3.50 EUR'."""
    return f"{amount:.2f} {currency}"


def invoice_line(item: str, quantity: int, unit_price: float, currency: str) -> str:
    total = quantity * unit_price
    return f"{item} x{quantity}: " + format_price(currency, total)
