"""Printable summaries of a cart."""

from __future__ import annotations

from shop.models import Cart
from shop.pricing import cart_total, line_discount


def format_cart(cart: Cart) -> str:
    """One line per cart line, then the total."""
    rows = []
    for line in cart.lines:
        saved = line_discount(line, cart.discounts)
        rows.append(f"{line.quantity} x {line.product.name}: {line.subtotal():.2f} (-{saved:.2f})")
    rows.append(f"total: {cart_total(cart):.2f}")
    return "\n".join(rows)


def count_items(cart: Cart) -> int:
    """How many items are in the cart, counting quantities."""
    return sum(line.quantity for line in cart.lines)
