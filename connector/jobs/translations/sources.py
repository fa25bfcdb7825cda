"""Sources: the master store's titles and descriptions as last pulled, one FieldSource per product and field."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from connector.state import State
from connector.translation import FieldSource

# The connector's field names -> the column of the state's products table holding the source text.
SOURCE_COLUMNS = {
    "title": "title",
    "description": "description_html",
    "short_description": "short_description_html",
}
HTML_FIELDS = frozenset({"description", "short_description"})


@dataclass(frozen=True)
class SourceProduct:
    id: str
    title: str
    skus: tuple[str, ...]


def load_sources(
    state: State, master: str, fields: Iterable[str]
) -> tuple[list[FieldSource], dict[str, SourceProduct]]:
    """The master store's texts, one FieldSource per product and field; the product's SKUs are kept verbatim."""
    skus: dict[str, list[str]] = defaultdict(list)
    for product_id, sku in state.db.execute(
        "select product_id, sku from variants where store = ? and sku is not null and sku != '' "
        "order by cast(id as integer), id",
        [master],
    ).fetchall():
        skus[product_id].append(sku)
    sources: list[FieldSource] = []
    products: dict[str, SourceProduct] = {}
    rows = state.db.execute(
        "select id, title, description_html, short_description_html from products where store = ? "
        "order by cast(id as integer), id",
        [master],
    ).fetchall()
    for product_id, *texts in rows:
        by_column = dict(zip(("title", "description_html", "short_description_html"), texts, strict=True))
        kept = tuple(skus.get(product_id, ()))
        products[product_id] = SourceProduct(product_id, by_column["title"] or "", kept)
        for name in fields:
            text = by_column[SOURCE_COLUMNS[name]] or ""
            sources.append(FieldSource(product_id, name, text, name in HTML_FIELDS, kept))
    return sources, products
