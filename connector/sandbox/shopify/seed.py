"""Deterministic catalogue, customers, orders and abandoned checkouts for a simulated shop (same seed number,
same data)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .shop import Shop

SEED_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_ADJECTIVES = ("Linen", "Wool", "Cotton", "Silk", "Denim", "Leather", "Canvas", "Merino", "Cashmere", "Hemp")
_NOUNS = ("Shirt", "Scarf", "Jacket", "Tote", "Cap", "Sweater", "Trousers", "Dress", "Belt", "Socks")
_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
_FIRST_NAMES = ("Camille", "Lukas", "Emma", "Noah", "Léa", "Mia", "Louis", "Hannah", "Jules", "Sofia")
_LAST_NAMES = ("Martin", "Müller", "Bernard", "Schmidt", "Dubois", "Weber", "Moreau", "Fischer", "Laurent")
_COUNTRIES = ("FR", "DE", "BE", "AT", "NL", "CH", "GB", "US")


def seed_shop(
    shop: Shop,
    *,
    products: int = 20,
    variants: int = 3,
    customers: int = 10,
    orders: int = 10,
    abandoned_checkouts: int = 0,
    seed: int = 1,
) -> dict[str, int]:
    """Replace the shop's data with `products` products of `variants` variants each, customers, orders and
    open abandoned checkouts.

    `variants` is per product. Dates start at SEED_EPOCH, one record a minute, so a re-seed with the same
    arguments gives identical records. Abandoned checkouts come last (their random draws follow the orders'),
    so adding them leaves the rest of a seeded shop unchanged.
    """
    if products < 0 or variants < 1 or customers < 0 or orders < 0 or abandoned_checkouts < 0:
        raise ValueError(
            "seed needs products >= 0, variants >= 1, customers >= 0, orders >= 0, abandoned_checkouts >= 0"
        )
    rng = random.Random(seed)
    shop.reset()
    moment = SEED_EPOCH
    step = timedelta(minutes=1)
    for number in range(1, products + 1):
        title = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {number:05d}"
        base_price = Decimal(rng.randrange(990, 15000)) / 100
        specs = []
        for index in range(variants):
            size = _SIZES[index % len(_SIZES)] + ("" if index < len(_SIZES) else str(index // len(_SIZES)))
            on_sale = rng.random() < 0.2
            specs.append(
                {
                    "sku": f"SKU-{number:05d}-{index + 1:02d}",
                    "title": size,
                    "option_values": [size],
                    "price": base_price,
                    "compare_at_price": (base_price * Decimal("1.25")).quantize(Decimal("0.01"))
                    if on_sale
                    else None,
                    "available": rng.randrange(0, 60),
                    "weight_grams": rng.randrange(100, 2000),
                    "barcode": f"{rng.randrange(10**12, 10**13)}",
                }
            )
        shop.add_product(
            title,
            description_html=f"<p>A <strong>{title.lower()}</strong> made to last.</p><ul><li>Size guide</li></ul>",
            product_type=title.split()[1],
            option_names=["Size"],
            variants=specs,
            created_at=moment,
        )
        moment += step
    customer_list = []
    for number in range(1, customers + 1):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        email = f"customer{number:05d}@example.com"
        customer_list.append(shop.add_customer(first, last, email, rng.choice(_COUNTRIES), created_at=moment))
        moment += step
    all_variants = list(shop.variants.values())
    for _ in range(orders):
        if not all_variants:
            break
        picked = rng.sample(all_variants, k=min(len(all_variants), rng.randrange(1, 4)))
        lines = [(variant, rng.randrange(1, 3)) for variant in picked]
        customer = rng.choice(customer_list) if customer_list else None
        country = customer.country if customer else rng.choice(_COUNTRIES)
        risk = rng.choices(("LOW", "MEDIUM", "HIGH"), weights=(90, 7, 3))[0]
        order = shop._create_order(
            lines, customer, None, country, financial_status="PAID", created_at=moment, risk_level=risk
        )
        if rng.random() < 0.05 and order.lines:
            line = order.lines[0]
            refund_amount = line.unit_price * line.quantity
            refund = shop.refund(order, refund_amount, [(line.id, line.quantity)])
            refund.created_at = order.updated_at = moment
        moment += step
    for number in range(1, abandoned_checkouts + 1):
        if not all_variants:
            break
        picked = rng.sample(all_variants, k=min(len(all_variants), rng.randrange(1, 4)))
        lines = [(variant, rng.randrange(1, 3)) for variant in picked]
        customer = rng.choice(customer_list) if customer_list and rng.random() < 0.5 else None
        email = customer.email if customer else f"visitor{number:05d}@example.com"
        country = customer.country if customer else rng.choice(_COUNTRIES)
        shop._create_checkout(lines, email, country, created_at=moment)
        moment += step
    shop.changed()
    return shop.counts()
