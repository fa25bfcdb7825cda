"""Product translations on Shopify: read the digests, register only what the shop does not hold yet.

Shopify ties every translation to the digest of the content it translates (`translatableContent.digest`).
For each (locale, market) the products' content and current translations are read with
`translatableResourcesByIds`, 50 products a request; a field whose translation the shop already holds with
the same value, and not outdated, is left alone. What remains is sent with one `translationsRegister` per
product (all its locales and markets together). A digest that went stale in between (the product was edited
after the read) is answered with INVALID_TRANSLATABLE_CONTENT: the product is read again and the
registration retried once with the fresh digests.

Shopify products have no short description: only `title` and `description` (`body_html`) are translated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from connector.platforms.base import TranslationWrite, WriteOutcome
from connector.platforms.errors import AuthError, PlatformError
from connector.platforms.shopify import documents
from connector.platforms.shopify.transport import ShopifyTransport

# The connector's field names -> Shopify's translatable content keys of a product.
PRODUCT_KEYS = {"title": "title", "description": "body_html"}
READ_CHUNK = 50
STALE_DIGEST_CODE = "INVALID_TRANSLATABLE_CONTENT"


def translatable_fields() -> frozenset[str]:
    """The connector's field names a Shopify product can hold a translation for."""
    return frozenset(PRODUCT_KEYS)


def product_gid(product_id: str) -> str:
    return product_id if product_id.startswith("gid://") else f"gid://shopify/Product/{product_id}"


@dataclass
class _Resource:
    content: dict[str, tuple[str | None, str]]  # key -> (value, digest)
    held: dict[str, tuple[str | None, bool]]  # key -> (translated value, outdated)


@dataclass
class _Entry:
    write: int  # index of the TranslationWrite it comes from
    key: str
    locale: str
    market_id: str | None
    value: str
    digest: str = ""

    def as_input(self) -> dict:
        item = {
            "key": self.key,
            "locale": self.locale,
            "value": self.value,
            "translatableContentDigest": self.digest,
        }
        if self.market_id:
            item["marketId"] = self.market_id
        return item


@dataclass
class _Tally:
    registered: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def write_translations(transport: ShopifyTransport, writes: list[TranslationWrite]) -> list[WriteOutcome]:
    """Register each write's texts on its product for its locale (and market); one outcome per write."""
    tallies = [_Tally() for _ in writes]
    market_ids = _market_ids(transport, {w.market for w in writes if w.market})
    groups: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for index, write in enumerate(writes):
        if write.market and write.market not in market_ids:
            tallies[index].problems.append(
                f"no market named {write.market!r} on the shop; check shopify_market in the config"
            )
            continue
        groups[(write.language, market_ids.get(write.market or ""))].append(index)

    pending: dict[str, list[_Entry]] = defaultdict(list)
    for (locale, market_id), indexes in groups.items():
        for start in range(0, len(indexes), READ_CHUNK):
            chunk = indexes[start : start + READ_CHUNK]
            ids = list(dict.fromkeys(product_gid(writes[i].product_id) for i in chunk))
            resources = _read(transport, ids, locale, market_id)
            for index in chunk:
                resource_id = product_gid(writes[index].product_id)
                resource = resources.get(resource_id)
                if resource is None:
                    tallies[index].problems.append(f"product {resource_id} is not on the shop")
                    continue
                pending[resource_id] += _entries(index, writes[index], locale, market_id, resource, tallies)

    for resource_id, entries in pending.items():
        _register(transport, resource_id, entries, tallies)
    return [_outcome(write, tally) for write, tally in zip(writes, tallies, strict=True)]


def _entries(
    index: int,
    write: TranslationWrite,
    locale: str,
    market_id: str | None,
    resource: _Resource,
    tallies: list[_Tally],
) -> list[_Entry]:
    entries = []
    for name, text in write.fields.items():
        key = PRODUCT_KEYS.get(name)
        if key is None:
            continue
        if key not in resource.content:
            tallies[index].problems.append(f"{name}: the product has no translatable {key}")
            continue
        held_value, outdated = resource.held.get(key, (None, True))
        if held_value == text and not outdated:
            tallies[index].unchanged += 1
            continue
        entries.append(_Entry(index, key, locale, market_id, text, resource.content[key][1]))
    return entries


def _register(
    transport: ShopifyTransport, resource_id: str, entries: list[_Entry], tallies: list[_Tally]
) -> None:
    for attempt in (1, 2):
        try:
            data = transport.execute(
                documents.TRANSLATIONS_REGISTER,
                {"resourceId": resource_id, "translations": [entry.as_input() for entry in entries]},
            )
        except AuthError:
            raise
        except PlatformError as exc:
            for entry in entries:
                tallies[entry.write].problems.append(f"{entry.key} ({entry.locale}): {exc.message}")
            return
        errors = (data.get("translationsRegister") or {}).get("userErrors") or []
        if not errors:
            for entry in entries:
                tallies[entry.write].registered += 1
            return
        stale, refused = _split_errors(errors, len(entries))
        for position, message in refused.items():
            entry = entries[position]
            tallies[entry.write].problems.append(f"{entry.key} ({entry.locale}): {message}")
        retry = [entry for position, entry in enumerate(entries) if position not in refused]
        if attempt == 2 or not retry:
            for entry in retry:
                message = "the digest is still stale after a re-read" if stale else "not registered"
                tallies[entry.write].problems.append(f"{entry.key} ({entry.locale}): {message}")
            return
        if stale:
            retry = _refresh(transport, resource_id, retry, tallies)
        entries = retry
        if not entries:
            return


def _split_errors(errors: list[dict], count: int) -> tuple[bool, dict[int, str]]:
    """Whether a digest was stale, and the messages of entries refused for another reason, by position."""
    stale = False
    refused: dict[int, str] = {}
    for error in errors:
        if error.get("code") == STALE_DIGEST_CODE:
            stale = True
            continue
        path = error.get("field") or []
        message = f"{error.get('code')}: {error.get('message')}"
        if len(path) >= 2 and path[0] == "translations" and str(path[1]).isdigit() and int(path[1]) < count:
            refused[int(path[1])] = message
        else:
            refused.update({position: message for position in range(count)})
    return stale, refused


def _refresh(
    transport: ShopifyTransport, resource_id: str, entries: list[_Entry], tallies: list[_Tally]
) -> list[_Entry]:
    """The entries with the product's current digests; those the shop now holds as they are drop out."""
    refreshed = []
    for locale, market_id in dict.fromkeys((entry.locale, entry.market_id) for entry in entries):
        resource = _read(transport, [resource_id], locale, market_id).get(resource_id)
        for entry in entries:
            if (entry.locale, entry.market_id) != (locale, market_id):
                continue
            if resource is None or entry.key not in resource.content:
                tallies[entry.write].problems.append(f"{entry.key} ({entry.locale}): the product is gone")
                continue
            held_value, outdated = resource.held.get(entry.key, (None, True))
            if held_value == entry.value and not outdated:
                tallies[entry.write].unchanged += 1
                continue
            entry.digest = resource.content[entry.key][1]
            refreshed.append(entry)
    return refreshed


def _read(
    transport: ShopifyTransport, resource_ids: list[str], locale: str, market_id: str | None
) -> dict[str, _Resource]:
    if len(resource_ids) == 1:
        data = transport.execute(
            documents.TRANSLATABLE_RESOURCE,
            {"resourceId": resource_ids[0], "locale": locale, "marketId": market_id},
        )
        node = data.get("translatableResource")
        nodes = [node] if node else []
    else:
        data = transport.execute(
            documents.TRANSLATABLE_RESOURCES_BY_IDS,
            {
                "resourceIds": resource_ids,
                "first": len(resource_ids),
                "locale": locale,
                "marketId": market_id,
            },
        )
        nodes = (data.get("translatableResourcesByIds") or {}).get("nodes") or []
    return {
        node["resourceId"]: _Resource(
            content={
                item["key"]: (item.get("value"), item["digest"]) for item in node["translatableContent"]
            },
            held={
                item["key"]: (item.get("value"), bool(item.get("outdated"))) for item in node["translations"]
            },
        )
        for node in nodes
    }


def _market_ids(transport: ShopifyTransport, names: set[str | None]) -> dict[str, str]:
    """Market name (or handle) -> id, for the names asked; unknown names are absent."""
    wanted = {name for name in names if name}
    if not wanted:
        return {}
    found: dict[str, str] = {}
    for market in transport.paginate(documents.TRANSLATION_MARKETS, {"first": 50}, "markets"):
        for name in (market.get("name"), market.get("handle")):
            if name in wanted:
                found[name] = market["id"]
    return found


def _outcome(write: TranslationWrite, tally: _Tally) -> WriteOutcome:
    summary = f"registered {tally.registered}, unchanged {tally.unchanged}"
    if tally.problems:
        return WriteOutcome(write.sku, False, message=f"{summary}; " + "; ".join(tally.problems))
    return WriteOutcome(write.sku, True, message=summary)
