"""`connector sync translations` end to end: a French master catalogue on a WooCommerce simulator, translated by
the fake DeepL server with the real `deepl` client, pushed to a WooCommerce market store and to Shopify
translations on the Shopify simulator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connector.config import ClientConfig, load_config
from connector.jobs.pull import pull
from connector.jobs.translations import sync_translations_command
from connector.platforms.base import StoreAdapter, TranslationWrite
from connector.platforms.shopify import documents
from connector.platforms.shopify.adapter import ShopifyAdapter
from connector.platforms.shopify.translations import write_translations
from connector.platforms.shopify.transport import ShopifyTransport
from connector.platforms.woocommerce.adapter import WooCommerceAdapter
from connector.sandbox.deepl import SANDBOX_DEEPL_KEY, DeepLSandbox
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.shopify.shop import digest
from connector.sandbox.woocommerce.sim import WooCommerceSim
from connector.state import State, open_state

SEED = 7
BRAND = "Maison Lumière"


@dataclass
class Client:
    config: ClientConfig
    state: State
    adapters: dict[str, StoreAdapter]
    master: WooCommerceSim
    market: WooCommerceSim
    shop: ShopifySim
    deepl: DeepLSandbox

    def sync(self, **options) -> dict[str, dict]:
        results = sync_translations_command(self.config, self.state, self.adapters, as_json=True, **options)
        return {result.get("market") or "translate": result for result in results}

    def pull_master(self) -> None:
        pull(self.state, self.adapters["master"], "products")

    def master_skus(self) -> list[str]:
        """One SKU per master product, in product order."""
        rows = self.state.db.execute(
            "select product_id, min(sku) from variants where store = 'master' group by product_id "
            "order by cast(product_id as integer)"
        ).fetchall()
        return [sku for _, sku in rows]

    def simple_skus(self) -> list[str]:
        """SKUs of the master's simple products: editing one of these edits the product's own description."""
        return [sku for sku in self.master_skus() if sku.startswith("WS-")]

    def shop_product(self, sku: str):
        with self.shop.lock:
            return self.shop.shop.variants_by_sku[sku].product

    def shop_translations(self, sku: str) -> dict[tuple[str, str, int | None], str]:
        with self.shop.lock:
            product = self.shop.shop.variants_by_sku[sku].product
            return {
                (t.key, t.locale, t.market_id): t.value
                for t in self.shop.shop.translations.get(product.id, [])
            }

    def market_record(self, sku: str):
        with self.market.lock:
            record = self.market.store.by_sku(sku)
            return self.market.store.posts.get(record.parent_id) if record.parent_id else record


def mirror_catalog_on_shop(state: State, shop: ShopifySim) -> None:
    """The shop sells the master's products: same SKUs, the French texts."""
    products = state.db.execute(
        "select id, title, description_html from products where store = 'master' order by cast(id as integer)"
    ).fetchall()
    with shop.lock:
        for product_id, title, description in products:
            skus = [
                row[0]
                for row in state.db.execute(
                    "select sku from variants where store = 'master' and product_id = ? order by id",
                    [product_id],
                )
            ]
            shop.shop.add_product(
                title, description_html=description, variants=[{"sku": sku, "price": "10"} for sku in skus]
            )


def write_config(
    tmp_path: Path, master, market, shop, deepl, markets: str, translation: str, deepl_key: str
) -> ClientConfig:
    environ = {
        "MASTER_KEY": master.consumer_key,
        "MASTER_SECRET": master.consumer_secret,
        "MARKET_KEY": market.consumer_key,
        "MARKET_SECRET": market.consumer_secret,
        "SHOP_TOKEN": shop.access_token,
        "DEEPL_KEY": deepl_key,
    }
    path = tmp_path / "acme.toml"
    path.write_text(
        f"""
[client]
name = "acme"
base_currency = "EUR"
state_file = "acme.sqlite"
base_prices_include_vat = true
base_vat_rate = 20

[stores.master]
platform = "woocommerce"
url = "{master.base_url}"
consumer_key = "env:MASTER_KEY"
consumer_secret = "env:MASTER_SECRET"

[stores.market_de]
platform = "woocommerce"
url = "{market.base_url}"
consumer_key = "env:MARKET_KEY"
consumer_secret = "env:MARKET_SECRET"

[stores.shop]
platform = "shopify"
shop = "{shop.base_url}"
access_token = "env:SHOP_TOKEN"
{markets}
[pricing]
master_store = "master"

[translation]
api_key = "env:DEEPL_KEY"
server_url = "{deepl.base_url}"
source_language = "fr"
languages = ["de", "en"]
do_not_translate = ["{BRAND}"]
{translation}
""",
        encoding="utf-8",
    )
    return load_config(path, environ=environ)


@pytest.fixture
def client(simulators, tmp_path: Path) -> Iterator[Callable[..., Client]]:
    opened: list[Client] = []
    deepl = DeepLSandbox(character_limit=10_000_000).start()

    def make(
        products: int = 6,
        translation: str = 'provider = "deepl"',
        markets: str | None = None,
        deepl_key: str = SANDBOX_DEEPL_KEY,
    ) -> Client:
        master = simulators("woocommerce", "master")
        market = simulators("woocommerce", "market-de")
        shop = simulators("shopify", "shop", locales=("fr", "de", "en"), throttling=False)
        for sim in (master, market):
            sim.seed(products=products, variants=4, customers=0, orders=0, seed=SEED)
        config = write_config(
            tmp_path,
            master,
            market,
            shop,
            deepl,
            MARKETS if markets is None else markets,
            translation,
            deepl_key,
        )
        state = open_state(config.state_path)
        transport = ShopifyTransport(shop.base_url, shop.access_token, store_name="shop")
        adapters: dict[str, StoreAdapter] = {
            "master": WooCommerceAdapter("master", config.stores["master"]),
            "market_de": WooCommerceAdapter("market_de", config.stores["market_de"]),
            "shop": ShopifyAdapter("shop", config.stores["shop"], transport=transport),
        }
        made = Client(config, state, adapters, master, market, shop, deepl)
        opened.append(made)
        made.pull_master()
        pull(state, adapters["market_de"], "products")
        mirror_catalog_on_shop(state, shop)
        pull(state, adapters["shop"], "products")
        for sim in (master, market, shop):
            sim.reset_stats()
        return made

    yield make
    for made in opened:
        for adapter in made.adapters.values():
            adapter.close()
        made.state.close()
    deepl.stop()


GERMANY = """
[markets.germany]
countries = ["DE"]
currency = "EUR"
prices_include_vat = true
vat_rate = 19
language = "de"
target = "market_de"
"""
SHOP_DE = """
[markets.shop_de]
countries = ["AT"]
currency = "EUR"
prices_include_vat = true
vat_rate = 19
language = "de"
target = "shop"
"""
SHOP_US = """
[markets.shop_us]
countries = ["US"]
currency = "USD"
prices_include_vat = false
vat_rate = 0
language = "en"
target = "shop"
shopify_market = "United States"
"""
MARKETS = GERMANY + SHOP_DE + SHOP_US


def writes(*sims) -> list[int]:
    return [sim.stats()["writes"] for sim in sims]


@pytest.mark.slow
def test_catalog_of_200_is_translated_pushed_once_and_an_edit_repushes_one_field_per_language(client) -> None:
    c = client(products=200)
    skus = c.master_skus()
    assert len(skus) == 200

    first = c.sync()

    translate = first["translate"]
    assert translate["outcome"] == "ok"
    assert translate["new"] == 200 * 3 * 2, translate
    assert not {"rejected", "deferred", "skipped"} & set(translate)
    assert translate["characters_sent"]["deepl"] == sum(len(text) for text in c.deepl.translated_texts) > 0
    assert first["germany"]["pushed"] == 600 and first["germany"]["unmatched"] == 0
    assert first["shop_de"]["pushed"] == 400 and first["shop_us"]["pushed"] == 400
    assert all(
        first[m]["failed"] == 0 and first[m]["outcome"] == "ok" for m in ("germany", "shop_de", "shop_us")
    )

    sample = skus[3]
    record = c.market_record(sample)
    assert record.name.startswith("[DE] ") and record.description.count("[DE]") >= 1
    assert record.short_description.startswith("<p>[DE] ")
    with c.shop.lock:
        us_market = next(m.id for m in c.shop.shop.markets.values() if m.name == "United States")
    held = c.shop_translations(sample)
    product = c.shop_product(sample)
    assert held[("title", "de", None)].startswith("[DE] ")
    assert held[("body_html", "de", None)].count("[DE]") >= 1
    assert held[("title", "en", us_market)].startswith("[EN] ")
    assert ("title", "en", None) not in held
    with c.shop.lock:
        assert all(
            t.source_digest == digest(product.title)
            for t in c.shop.shop.translations[product.id]
            if t.key == "title"
        )

    deepl_requests = sum(c.deepl.stats()["requests"].values())
    before = writes(c.market, c.shop)
    second = c.sync()
    assert second["translate"]["characters_sent"] == {}
    assert second["translate"]["cached"] == 1200
    assert sum(c.deepl.stats()["requests"].values()) == deepl_requests
    assert writes(c.market, c.shop) == before
    assert [second[m]["pushed"] for m in ("germany", "shop_de", "shop_us")] == [0, 0, 0]
    assert [second[m]["unchanged"] for m in ("germany", "shop_de", "shop_us")] == [600, 400, 400]

    edited = c.simple_skus()[10]
    c.master.touch([edited], field="description")
    c.pull_master()
    sent_before = len(c.deepl.translated_texts)
    german_before = c.market_record(edited).description
    third = c.sync()
    assert third["translate"]["new"] == 2 and third["translate"]["cached"] == 1198
    assert [text.count("Mis à jour") for text in c.deepl.translated_texts[sent_before:]] == [1, 1]
    assert [third[m]["pushed"] for m in ("germany", "shop_de", "shop_us")] == [1, 1, 1]
    assert writes(c.market, c.shop) == [before[0] + 1, before[1] + 2]
    assert c.market_record(edited).description != german_before
    assert c.market_record(edited).description.startswith(german_before.rstrip("\n")[:20])
    held = c.shop_translations(edited)
    assert held[("body_html", "de", None)] == c.market_record(edited).description
    assert held[("body_html", "de", None)] != held[("body_html", "en", us_market)]


def test_a_stale_shopify_digest_is_read_again_not_failed(client) -> None:
    c = client(products=4, markets=SHOP_DE)
    transport = c.adapters["shop"].transport
    sent: list[str] = []
    edited: list[int] = []
    real_execute = transport.execute

    def execute(document, variables=None, **options):
        if document is documents.TRANSLATIONS_REGISTER and not edited:
            product_id = int(variables["resourceId"].rsplit("/", 1)[1])
            with c.shop.lock:  # a merchant edits the product between our read and our register
                c.shop.shop.products[product_id].title += " (édition limitée)"
                c.shop.shop.changed()
            edited.append(product_id)
        sent.append(document)
        return real_execute(document, variables, **options)

    transport.execute = execute
    result = c.sync()

    assert result["shop_de"]["outcome"] == "ok" and result["shop_de"]["failed"] == 0
    assert result["shop_de"]["pushed"] == 8
    assert sent.count(documents.TRANSLATABLE_RESOURCE) == 1  # the stale product alone was read again
    assert sent.count(documents.TRANSLATIONS_REGISTER) == 5  # one per product, and the one retry
    with c.shop.lock:
        product = c.shop.shop.products[edited[0]]
        title = next(t for t in c.shop.shop.translations[product.id] if t.key == "title" and t.locale == "de")
        assert title.source_digest == digest(product.title)
        assert title.value.startswith("[DE] ")


def test_a_human_translation_overrides_the_machine_result_for_its_string(client, tmp_path: Path) -> None:
    human_file = tmp_path / "human.csv"
    human_file.write_text("source_lang,target_lang,source,translation\n", encoding="utf-8")
    c = client(translation='provider = "deepl"\nhuman_files = ["human.csv"]')
    sku = c.master_skus()[0]
    source_title = (
        c.master.stock(sku)
        and c.state.db.execute(
            "select p.title from products p join variants v on v.store = p.store and v.product_id = p.id "
            "where p.store = 'master' and v.sku = ?",
            [sku],
        ).fetchone()[0]
    )
    first = c.sync()
    assert first["translate"]["new"] == 36 and "human" not in first["translate"]
    assert c.market_record(sku).name.startswith("[DE] ")

    with human_file.open("a", encoding="utf-8") as out:
        out.write(f'fr,de,"{source_title}","Handgeschriebener Titel"\n')
    second = c.sync()

    assert second["translate"]["human"] == 1 and second["translate"]["cached"] == 35
    assert second["translate"]["characters_sent"] == {}
    assert [second[m]["pushed"] for m in ("germany", "shop_de", "shop_us")] == [1, 1, 0]
    assert c.market_record(sku).name == "Handgeschriebener Titel"
    held = c.shop_translations(sku)
    assert held[("title", "de", None)] == "Handgeschriebener Titel"
    assert next(v for (key, locale, _), v in held.items() if key == "title" and locale == "en").startswith(
        "[EN] "
    )


def test_an_answer_that_drops_a_tag_is_rejected_and_never_pushed(client) -> None:
    c = client()
    c.deepl.control("translation_fault", {"drop_tag": "strong", "times": 1})

    first = c.sync()

    translate = first["translate"]
    assert translate["rejected"] == 1 and translate["new"] == 35
    [rejection] = translate["rejections"]
    assert rejection["field"] == "description" and rejection["language"] == "de"
    assert "<strong>" in rejection["reason"] and rejection["translation"] is None
    assert [first[m]["pushed"] for m in ("germany", "shop_de", "shop_us")] == [17, 11, 12]
    sku = rejection["sku"]
    master_description = c.state.db.execute(
        "select description_html from products where store = 'master' and id = ?", [rejection["product"]]
    ).fetchone()[0]
    assert c.market_record(sku).description == master_description  # still the French text
    held = c.shop_translations(sku)
    assert ("body_html", "de", None) not in held
    assert any(key == "body_html" and locale == "en" for key, locale, _ in held)

    again = c.sync()  # the rejection is remembered: not bought again, still not pushed
    assert again["translate"]["rejected"] == 1 and again["translate"]["characters_sent"] == {}
    assert [again[m]["pushed"] for m in ("germany", "shop_de", "shop_us")] == [0, 0, 0]


def test_dry_run_shows_each_field_and_sends_and_pushes_nothing(client, capsys) -> None:
    c = client(products=3)

    results = sync_translations_command(c.config, c.state, c.adapters, dry_run=True)

    shown = capsys.readouterr().out
    assert "would send" in shown and c.simple_skus()[0] in shown
    assert "description" in shown and "short_description" in shown
    assert c.deepl.translated_texts == []
    assert writes(c.market, c.shop) == [0, 0]
    translate = results[0]
    assert translate["pending"] == 18 and translate["characters_sent"] == {}
    assert {item["outcome"] for item in translate["items"]} == {"pending"}
    assert [r["would_push"] for r in results[1:]] == [0, 0, 0]
    assert [r["awaiting_translation"] for r in results[1:]] == [9, 6, 6]

    c.sync()
    before = writes(c.market, c.shop)
    c.master.touch([c.simple_skus()[0]], field="description")
    c.pull_master()
    results = sync_translations_command(c.config, c.state, c.adapters, dry_run=True)
    shown = capsys.readouterr().out
    assert "cached" in shown and "deepl" in shown
    assert results[0]["pending"] == 2 and results[0]["cached"] == 16
    assert writes(c.market, c.shop) == before


def test_a_refused_provider_key_fails_the_job_and_pushes_nothing(client) -> None:
    c = client(products=2, deepl_key="not-the-right-key:fx")

    results = c.sync()

    assert list(results) == ["translate"]
    assert results["translate"]["outcome"] == "failed"
    assert "check translation.api_key" in results["translate"]["error"]
    assert "not-the-right-key" not in results["translate"]["error"]
    assert writes(c.market, c.shop) == [0, 0]
    run = c.state.db.execute("select outcome, error from sync_runs where job = 'translations'").fetchone()
    assert run[0] == "failed" and "api_key" in run[1]


def test_without_a_provider_only_human_translations_are_published(client, tmp_path: Path) -> None:
    c = client(products=2, translation='provider = "none"\nhuman_files = ["human.po"]', markets=GERMANY)
    sku = c.master_skus()[0]
    title = c.state.db.execute(
        "select p.title from products p join variants v on v.store = p.store and v.product_id = p.id "
        "where p.store = 'master' and v.sku = ?",
        [sku],
    ).fetchone()[0]
    (tmp_path / "human.po").write_text(
        f'msgid ""\nmsgstr ""\n"Language: de\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "{title}"\nmsgstr "Von Hand übersetzt"\n',
        encoding="utf-8",
    )

    results = c.sync(language="de")

    assert results["translate"]["outcome"] == "ok" and results["translate"]["human"] == 1
    assert results["translate"]["deferred"] == 5 and "provider_error" not in results["translate"]
    assert results["germany"]["pushed"] == 1
    assert c.market_record(sku).name == "Von Hand übersetzt"
    assert c.deepl.translated_texts == []


def test_shopify_registers_only_values_the_shop_does_not_hold(simulators) -> None:
    shop = simulators("shopify", "shop", locales=("fr", "de"), throttling=False)
    shop.seed(products=2, variants=1, customers=0, orders=0)
    with shop.lock:
        product = next(iter(shop.shop.products.values()))
        sku = product.variants[0].sku

    class Recording(ShopifyTransport):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.sent: list[tuple[str, dict]] = []

        def execute(self, document, variables=None, **options):
            self.sent.append((document, variables or {}))
            return super().execute(document, variables, **options)

    with Recording(shop.base_url, shop.access_token, store_name="shop") as transport:
        texts = {"title": "Titel", "description": "<p>Beschreibung</p>", "short_description": "<p>kurz</p>"}
        [first] = write_translations(transport, [TranslationWrite(str(product.id), sku, "de", None, texts)])
        assert first.ok and first.message == "registered 2, unchanged 0"

        transport.sent.clear()
        texts = {"title": "Titel", "description": "<p>Neue Beschreibung</p>"}
        [second] = write_translations(transport, [TranslationWrite(str(product.id), sku, "de", None, texts)])
        registered = [v for d, v in transport.sent if d is documents.TRANSLATIONS_REGISTER]
        assert second.ok and second.message == "registered 1, unchanged 1"
        assert [[t["key"] for t in v["translations"]] for v in registered] == [["body_html"]]

        outcomes = write_translations(
            transport,
            [
                TranslationWrite(
                    f"gid://shopify/Product/{product.id}", sku, "de", "Atlantis", {"title": "T"}
                ),
                TranslationWrite("999999", "NOPE", "de", None, {"title": "T"}),
            ],
        )
        assert [o.ok for o in outcomes] == [False, False]
        assert "no market named 'Atlantis'" in outcomes[0].message
        assert "gid://shopify/Product/999999 is not on the shop" in outcomes[1].message


def test_a_used_up_quota_fails_the_run_and_the_next_run_catches_up(client) -> None:
    c = client(products=3, markets=GERMANY)
    c.sync()
    edited, other = c.simple_skus()[:2]
    c.master.touch([edited, other], field="description")
    c.master.touch([other])  # and a new title
    c.pull_master()
    usage = c.deepl.control("usage", {})
    c.deepl.control("usage", {"character_limit": usage["character_count"]})

    results = c.sync(language="de")

    translate = results["translate"]
    assert translate["outcome"] == "failed" and "quota" in translate["error"]
    assert "next run" in translate["error"]
    assert translate["deferred"] == 3 and translate["cached"] == 6
    assert results["germany"]["outcome"] == "ok"
    assert results["germany"]["pushed"] == 0 and results["germany"]["unchanged"] == 6

    c.deepl.control("usage", {"character_limit": 10_000_000})
    results = c.sync(language="de")
    assert results["translate"]["outcome"] == "ok" and results["translate"]["new"] == 3
    assert results["germany"]["pushed"] == 3 and results["germany"]["unchanged"] == 6


def test_a_product_the_market_store_does_not_sell_is_reported_unmatched(client) -> None:
    c = client(products=2, markets=GERMANY)
    [new_sku] = c.master.add_products(1, prefix="NEW")
    c.pull_master()

    results = c.sync(language="de")

    germany = results["germany"]
    assert germany["outcome"] == "ok" and germany["unmatched"] == 1 and germany["pushed"] == 6
    [unmatched] = germany["unmatched_products"]
    assert new_sku in unmatched
    # translated all the same (its short description is empty: skipped), so memory serves it once it is sold
    assert results["translate"]["new"] == 8 and results["translate"]["skipped"] == 1
