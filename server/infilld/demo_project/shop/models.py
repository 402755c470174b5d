"""Products, cart lines and discounts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit_price: float
    tags: tuple[str, ...] = ()


@dataclass
class CartLine:
    product: Product
    quantity: int = 1

    def subtotal(self) -> float:
        """Price of this line before discounts."""
        return self.product.unit_price * self.quantity


@dataclass
class Discount:
    code: str
    percent: float
    only_tag: str | None = None

    def applies_to(self, product: Product) -> bool:
        return self.only_tag is None or self.only_tag in product.tags


@dataclass
class Cart:
    lines: list[CartLine] = field(default_factory=list)
    discounts: list[Discount] = field(default_factory=list)
