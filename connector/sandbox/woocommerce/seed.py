"""Deterministic demo data: a French shop's catalogue, customers across countries, and past orders.

The same `seed` number gives the same store (dates are relative to the store's clock).
"""

from __future__ import annotations

import random
import unicodedata
from itertools import product as cartesian
from typing import Any

from .orders import PAYMENT_METHODS, compose_order
from .store import (
    IN_STOCK,
    OUT_OF_STOCK,
    CustomerRecord,
    OrderRecord,
    ProductRecord,
    Store,
    settle_stock,
)

DAY = 86400
CATEGORIES = [
    ("Vêtements", "vetements"),
    ("Maison & Cuisine", "maison-cuisine"),
    ("Accessoires", "accessoires"),
    ("Chaussures", "chaussures"),
    ("Plein air", "plein-air"),
    ("Papeterie", "papeterie"),
]
NOUNS = [
    ("Écharpe", 1),
    ("Bougie parfumée", 1),
    ("Tablier", 1),
    ("Carnet", 5),
    ("Plaid", 1),
    ("Tasse", 1),
    ("Sac cabas", 2),
    ("Torchon", 1),
    ("Gourde", 4),
    ("Bonnet", 2),
    ("Planche à découper", 1),
    ("Trousse", 5),
    ("Coussin", 1),
    ("Lampe de poche", 4),
]
QUALITIES = [
    "en lin",
    "en laine mérinos",
    "en coton bio",
    "en chêne",
    "en grès",
    "recyclé",
    "en cuir",
    "en bambou",
]
FLAVOURS = [
    "Figue",
    "Lavande",
    "Bleu nuit",
    "Terracotta",
    "Sauge",
    "Olive",
    "Miel",
    "Ardoise",
    "Crème",
    "Rouge",
]
VARIABLE_NOUNS = [
    ("T-shirt", 0),
    ("Pull marin", 0),
    ("Baskets", 3),
    ("Veste", 0),
    ("Chemise", 0),
    ("Bottines", 3),
]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
SHOE_SIZES = ["36", "37", "38", "39", "40", "41", "42", "43", "44", "45"]
COLOURS = ["Noir", "Blanc", "Bleu marine", "Rouge", "Vert sapin", "Gris chiné", "Écru", "Moutarde"]

# (country, first names, last names, city, postcode, state, email domain)
PEOPLE = [
    (
        "FR",
        ["Camille", "Julien", "Léa", "Hugo", "Chloé"],
        ["Dubois", "Moreau", "Lefèvre", "Garnier"],
        "Lyon",
        "69003",
        "",
        "fr",
    ),
    (
        "DE",
        ["Lukas", "Anna", "Jonas", "Lena"],
        ["Müller", "Schmidt", "Weber", "Wagner"],
        "Berlin",
        "10115",
        "",
        "de",
    ),
    ("BE", ["Lucas", "Emma", "Louis"], ["Peeters", "Janssens", "Dubois"], "Bruxelles", "1000", "", "be"),
    ("ES", ["Lucía", "Pablo", "Sofía"], ["García", "Martínez", "López"], "Madrid", "28013", "M", "es"),
    ("IT", ["Giulia", "Marco", "Sara"], ["Rossi", "Bianchi", "Romano"], "Milano", "20121", "MI", "it"),
    ("CH", ["Chloe", "Noah", "Mia"], ["Favre", "Meier", "Keller"], "Lausanne", "1003", "VD", "ch"),
    ("GB", ["Amelia", "Oliver", "Isla"], ["Jones", "Smith", "Taylor"], "Edinburgh", "EH2 1JX", "", "co.uk"),
    ("US", ["Emily", "James", "Ava"], ["Johnson", "Brown", "Miller"], "Mountain View", "94043", "CA", "com"),
    ("NL", ["Daan", "Sanne"], ["de Jong", "Jansen"], "Amsterdam", "1012 AB", "", "nl"),
    ("CA", ["Liam", "Olivia"], ["Tremblay", "Roy"], "Montréal", "H2X 1Y4", "QC", "ca"),
]
ORDER_STATUSES = (
    ["completed"] * 50
    + ["processing"] * 18
    + ["on-hold"] * 5
    + ["pending"] * 6
    + ["cancelled"] * 8
    + ["refunded"] * 5
    + ["failed"] * 4
    + ["completed-partial-refund"] * 4
)


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(char if char.isalnum() else " " for char in plain).split())


def _price(rng: random.Random, low: int, high: int) -> str:
    cents = rng.randint(low, high) * 10  # prices end in 0 cents like real catalogues (x.x0)
    return money_from_cents(cents)


def money_from_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _description(rng: random.Random, name: str, slug: str, material: str, index: int) -> str:
    variant = index % 3
    if variant == 0:
        return (
            f"<p>Notre <strong>{name.lower()}</strong> est fabriqué en France &ndash; "
            f"qualité &laquo;&nbsp;atelier&nbsp;&raquo;.</p>\n"
            f"<ul>\n<li>Matière&nbsp;: {material}</li>\n<li>Entretien : lavage à 30&nbsp;°C</li>\n"
            f"<li>Livré avec sa pochette &amp; son étiquette</li>\n</ul>\n"
        )
    if variant == 1:
        return (
            f"<h3>{name}</h3>\n<p>Idéal pour offrir. Consultez le "
            f'<a href="https://example.com/guide/{slug}" title="Guide">guide d&rsquo;entretien</a> '
            f"avant la première utilisation.</p>\n"
            f'<p><img src="https://example.com/images/{slug}.jpg" alt="{name}" width="600" height="400" /></p>\n'
        )
    return (
        f"<p>{name} &ndash; série n°&nbsp;{index}.</p>\n<ol>\n<li>Dimensions&nbsp;: "
        f"{rng.randint(10, 60)}&times;{rng.randint(10, 60)}&nbsp;cm</li>\n"
        f"<li>Prix&nbsp;: à partir de 5&nbsp;&euro;</li>\n</ol>\n<p><em>Stock limité.</em></p>\n"
    )


def seed_store(
    store: Store,
    *,
    products: int,
    variants: int,
    customers: int,
    orders: int,
    seed: int,
    currency: str,
) -> dict[str, int]:
    rng = random.Random(seed)
    now = store.clock()
    category_ids = [store.category(name, slug) for name, slug in CATEGORIES]
    variable_count = min(max(products // 2, 1), variants) if variants and products else 0
    simple_count = products - variable_count
    counts = {"products": 0, "simple": 0, "variable": 0, "variations": 0, "customers": 0, "orders": 0}
    per_parent = (
        [
            variants // variable_count + (1 if i < variants % variable_count else 0)
            for i in range(variable_count)
        ]
        if variable_count
        else []
    )

    kinds = ["simple"] * simple_count + ["variable"] * variable_count
    rng.shuffle(kinds)
    variable_index = 0
    for index, kind in enumerate(kinds, start=1):
        created = now - rng.randint(30, 400) * DAY - rng.randint(0, DAY)
        modified = min(now - rng.randint(0, DAY), created + rng.randint(0, 400) * DAY)
        if kind == "simple":
            noun, category = NOUNS[index % len(NOUNS)]
            name = f"{noun} {QUALITIES[index % len(QUALITIES)]} {FLAVOURS[(index // 7) % len(FLAVOURS)]}"
            sku = f"WS-{index:05d}"
            record = _new_product(
                store, rng, "simple", name, sku, category_ids[category], created, modified, index
            )
            record.regular_price = _price(rng, 35, 1990)
            if rng.random() < 0.2:
                record.sale_price = money_from_cents(int(record.regular_price.replace(".", "")) * 8 // 10)
            _seed_stock(rng, record)
            settle_stock(record)
            store.posts[record.id] = record
            store.sku_owner[sku] = record.id
            store.products.add(record)
            counts["simple"] += 1
        else:
            count = per_parent[variable_index]
            variable_index += 1
            noun, category = VARIABLE_NOUNS[index % len(VARIABLE_NOUNS)]
            name = f"{noun} {QUALITIES[index % len(QUALITIES)]}"
            sku = f"WV-{index:05d}"
            parent = _new_product(
                store, rng, "variable", name, sku, category_ids[category], created, modified, index
            )
            parent.manage_stock = False
            _add_variations(store, rng, parent, count, created, modified)
            store.sku_owner[sku] = parent.id
            store.posts[parent.id] = parent
            store.sync_variable(parent, bump=False)
            store.products.add(parent)
            counts["variable"] += 1
            counts["variations"] += count
    counts["products"] = counts["simple"] + counts["variable"]

    people = [_seed_customer(store, rng, n, now) for n in range(customers)]
    counts["customers"] = len(people)
    counts["orders"] = _seed_orders(store, rng, orders, people, now, currency)
    return counts


def _new_product(
    store: Store,
    rng: random.Random,
    kind: str,
    name: str,
    sku: str,
    category_id: int,
    created: int,
    modified: int,
    index: int,
) -> ProductRecord:
    slug = f"{slugify(name)}-{index}"
    material = name.split(" ", 1)[-1]
    return ProductRecord(
        id=store.new_post_id(),
        type=kind,
        parent_id=0,
        name=name,
        slug=slug,
        sku=sku,
        status="publish",
        description=_description(rng, name, slug, material, index),
        short_description=f"<p>{name}.</p>\n",
        regular_price="",
        sale_price="",
        manage_stock=True,
        stock_quantity=None,
        stock_status=IN_STOCK,
        backorders="no",
        weight=f"{rng.randint(5, 300) / 100:.2f}",
        created=created,
        modified=modified,
        category_ids=[category_id],
    )


def _seed_stock(rng: random.Random, record: ProductRecord) -> None:
    roll = rng.random()
    if roll < 0.1:
        record.manage_stock = False
        record.stock_status = OUT_OF_STOCK if rng.random() < 0.2 else IN_STOCK
        return
    record.manage_stock = True
    record.stock_quantity = 0 if roll < 0.18 else rng.randint(1, 120)
    if rng.random() < 0.05:
        record.backorders = "notify"


def _add_variations(
    store: Store, rng: random.Random, parent: ProductRecord, count: int, created: int, modified: int
) -> None:
    shoes = parent.name.startswith(("Baskets", "Bottines"))
    first_name, first_slug, first_values = (
        ("Pointure", "pa_pointure", SHOE_SIZES) if shoes else ("Taille", "pa_taille", SIZES)
    )
    if count <= len(first_values):
        combos = [(value,) for value in first_values[:count]]
        axes = [(first_name, first_slug, first_values[:count])]
    else:
        colours = COLOURS[: -(-count // len(first_values))]
        combos = list(cartesian(first_values, colours))[:count]
        axes = [(first_name, first_slug, first_values), ("Couleur", "pa_couleur", colours)]
    parent.attributes = [
        {
            "id": position + 1,
            "name": name,
            "slug": slug,
            "position": position,
            "visible": True,
            "variation": True,
            "options": list(values),
        }
        for position, (name, slug, values) in enumerate(axes)
    ]
    parent.default_attributes = [{"id": 1, "name": first_name, "option": slugify(combos[0][0])}]
    base = rng.randint(15, 150) * 100
    for position, combo in enumerate(combos):
        record = ProductRecord(
            id=store.new_post_id(),
            type="variation",
            parent_id=parent.id,
            name=", ".join(combo),
            slug="",
            sku=f"{parent.sku}-" + "-".join(slugify(value).upper() for value in combo),
            status="publish",
            description="",
            short_description="",
            regular_price=money_from_cents(base + (200 if combo[0] in ("XL", "XXL", "44", "45") else 0)),
            sale_price="",
            manage_stock=True,
            stock_quantity=None,
            stock_status=IN_STOCK,
            backorders="no",
            weight=f"{rng.randint(10, 120) / 100:.2f}",
            created=created + position,
            modified=min(modified, created + position + rng.randint(0, 200) * DAY),
            attributes=[
                {"id": axis + 1, "name": axes[axis][0], "slug": axes[axis][1], "option": value}
                for axis, value in enumerate(combo)
            ],
        )
        _seed_stock(rng, record)
        settle_stock(record)
        store.posts[record.id] = record
        store.sku_owner[record.sku] = record.id
        store.variations.add(record)
        parent.variation_ids.append(record.id)


def _seed_customer(store: Store, rng: random.Random, n: int, now: int) -> CustomerRecord:
    country, firsts, lasts, city, postcode, state, domain = PEOPLE[n % len(PEOPLE)]
    first = firsts[(n // len(PEOPLE)) % len(firsts)]
    last = lasts[(n // (len(PEOPLE) * len(firsts))) % len(lasts)]
    local = f"{slugify(first)}.{slugify(last).replace('-', '')}"
    suffix = "" if n < len(PEOPLE) * len(firsts) * len(lasts) else str(n)
    email = f"{local}{suffix}@example.{domain}"
    address = {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address_1": f"{rng.randint(1, 120)} Rue des Lilas"
        if country in ("FR", "BE", "CH")
        else f"{rng.randint(1, 120)} Main Street",
        "address_2": "",
        "city": city,
        "postcode": postcode,
        "country": country,
        "state": state,
        "email": email,
        "phone": f"+00 100 {n // 1000:03d} {n % 1000:03d}",
    }
    created = now - rng.randint(0, 400) * DAY - rng.randint(0, DAY)
    record = CustomerRecord(
        id=store.new_user_id(),
        created=created,
        modified=min(now, created + rng.randint(0, 30) * DAY),
        email=email,
        first_name=first,
        last_name=last,
        username=f"{slugify(first)}{slugify(last).replace('-', '')}{suffix}",
        role="customer",
        billing=address,
        shipping={key: value for key, value in address.items() if key != "email"},
    )
    store.customers.add(record)
    return record


def _seed_orders(
    store: Store, rng: random.Random, count: int, people: list[CustomerRecord], now: int, currency: str
) -> int:
    purchasable = [
        record
        for record in store.posts.values()
        if record.type != "variable" and record.price != "" and record.status == "publish"
    ]
    if not purchasable:
        return 0
    moments = sorted(now - rng.randint(0, 180 * DAY) for _ in range(count))
    for created in moments:
        status = rng.choice(ORDER_STATUSES)
        lines = {}
        for record in rng.sample(purchasable, k=min(len(purchasable), rng.randint(1, 4))):
            lines[record.id] = (record, rng.randint(1, 3))
        buyer = rng.choice(people) if people and rng.random() < 0.8 else None
        billing = dict(buyer.billing) if buyer else _guest_billing(rng)
        shipping = {key: value for key, value in billing.items() if key != "email"}
        data = compose_order(
            store,
            list(lines.values()),
            billing=billing,
            shipping=shipping,
            customer_id=buyer.id if buyer else 0,
            currency=currency,
            payment_method=rng.choice(list(PAYMENT_METHODS)),
        )
        partial = status == "completed-partial-refund"
        status = "completed" if partial else status
        order = OrderRecord(
            id=store.new_post_id(),
            status=status,
            created=created,
            modified=min(now, created + rng.randint(0, 3) * 3600),
            data=data,
        )
        if status in ("processing", "completed", "refunded"):
            order.paid = created + 600
        if status in ("completed", "refunded"):
            order.completed = min(now, created + DAY)
        if status == "refunded" or partial:
            amount = data["total"] if status == "refunded" else data["line_items"][0]["total"]
            data["refunds"] = [
                {
                    "id": store.new_post_id(),
                    "reason": "Retour client" if status == "refunded" else "Article endommagé",
                    "total": f"-{amount}",
                }
            ]
        if status in ("processing", "on-hold", "completed"):
            order.stock_reduced = True
        if buyer is not None and order.paid is not None:
            buyer.is_paying_customer = True
        store.orders.add(order)
    return count


def _guest_billing(rng: random.Random) -> dict[str, Any]:
    country, firsts, lasts, city, postcode, state, domain = rng.choice(PEOPLE)
    first, last = rng.choice(firsts), rng.choice(lasts)
    return {
        "first_name": first,
        "last_name": last,
        "company": "",
        "address_1": "3 Place du Marché",
        "address_2": "",
        "city": city,
        "state": state,
        "postcode": postcode,
        "country": country,
        "email": f"{slugify(first)}.{slugify(last)}.{rng.randint(100, 999)}@guest.example.{domain}",
        "phone": "",
    }
