"""Pricing rules for carts."""

from __future__ import annotations

from shop.models import Cart, CartLine, Discount

TAX_RATE = 0.2


def line_discount(line: CartLine, discounts: list[Discount]) -> float:
    """The best discount (as an amount) that applies to one cart line."""
    best = 0.0
    for discount in discounts:
        if discount.applies_to(line.product):
            best = max(best, line.subtotal() * discount.percent / 100)
    return best


def cart_total(cart: Cart) -> float:
    """Total to pay, after discounts and tax."""
    net = 0.0
    for line in cart.lines:
        net += line.subtotal() - line_discount(line, cart.discounts)
    return round(net * (1 + TAX_RATE), 2)
