"""A complete simulated merchant on 127.0.0.1: stores, markets, a translation server, and its client config.

The first WooCommerce store is the master (EUR, French texts) and the inventory's source of truth. Further
WooCommerce stores are market stores (German, Spanish, ...), and the first Shopify store sells to
Switzerland, the United Kingdom and the United States through Shopify Markets. Every store carries the same
SKUs. Used by `connector sandbox`, `connector demo`, tests and benchmarks.
"""

from __future__ import annotations

import signal
import socket
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from connector.platforms import registry
from connector.sandbox.catalog import catalog_of, load_catalog
from connector.sandbox.deepl import SANDBOX_DEEPL_KEY, DeepLSandbox
from connector.sandbox.shopify import ShopifySim
from connector.sandbox.woocommerce.sim import WooCommerceSim

MARKET_STORES = [  # market name, countries, language of the extra WooCommerce stores, in order
    ("de", ["DE", "AT"], "de"),
    ("es", ["ES"], "es"),
    ("it", ["IT"], "it"),
    ("nl", ["NL", "BE"], "nl"),
]
SHOPIFY_MARKETS = [  # market name, countries, currency, language, Shopify market, duty settings
    ("ch", ["CH"], "CHF", "en", "Switzerland", 'duty = "DDP"\nduty_rate = 4\nde_minimis = 62'),
    ("gb", ["GB"], "GBP", "en", "United Kingdom", 'duty = "DDU"'),
    ("us", ["US"], "USD", "en", "United States", 'duty = "DDP"\nduty_rate = 12\nde_minimis = 800'),
]
VAT = {"de": 19, "es": 21, "it": 22, "nl": 21, "ch": Decimal("8.1"), "gb": 20, "us": 0}


@dataclass
class Sandbox:
    stores: dict[str, WooCommerceSim | ShopifySim]
    deepl: DeepLSandbox
    env: dict[str, str] = field(default_factory=dict)
    config_text: str = ""
    webhook_port: int = 0

    def stop(self) -> None:
        for server in [*self.stores.values(), self.deepl]:
            server.stop()

    def write_config(self, path: Path, state_file: str | None = None) -> Path:
        text = self.config_text
        if state_file:
            text = text.replace('state_file = "sandbox.sqlite"', f'state_file = "{state_file}"')
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path


def start_sandbox(
    *,
    woocommerce: int = 2,
    shopify: int = 1,
    products: int = 40,
    variants: int = 30,
    orders: int = 60,
    seed: int = 1,
    schedule_seconds: int = 60,
    token_ttl: float | None = None,
    webhooks: bool = False,
    webhook_port: int | None = None,
) -> Sandbox:
    """`token_ttl` makes the Shopify shops' access tokens expire after that many seconds (as
    `POST /__sandbox/auth {"token_ttl": s}` does), instead of Shopify's 24 hours. `webhooks` adds a [service]
    section: a webhook port (`webhook_port`, else a free one) and its address on 127.0.0.1 as public_url."""
    if woocommerce < 1:
        raise ValueError("the sandbox needs at least one WooCommerce store: the master store")
    master = WooCommerceSim("boutique").start()
    master.seed(products=products, variants=variants, customers=max(orders // 3, 1), orders=orders, seed=seed)
    catalog = catalog_of(master)
    stores: dict[str, WooCommerceSim | ShopifySim] = {"boutique": master}
    for market, _, _ in MARKET_STORES[: woocommerce - 1]:
        sim = WooCommerceSim(f"{market}-shop").start()
        load_catalog(sim, catalog)
        stores[f"{market}-shop"] = sim
    for number in range(1, shopify + 1):
        name = "global" if number == 1 else f"shopify-{number}"
        sim = ShopifySim(name).start()
        sim.shop.reset()
        load_catalog(sim, catalog)
        if token_ttl is not None:
            sim.control("auth", {"token_ttl": token_ttl})
        stores[name] = sim
    sandbox = Sandbox(stores, DeepLSandbox().start())
    sandbox.webhook_port = (webhook_port or free_port()) if webhooks else 0
    sandbox.config_text = _config_text(sandbox, schedule_seconds)
    return sandbox


def free_port() -> int:
    """A port free now, for the webhook receiver the stores deliver to (`[service] webhook_port`)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _config_text(sandbox: Sandbox, schedule_seconds: int) -> str:
    parts = [
        "# A client config for the simulated stores of `connector sandbox` (127.0.0.1).",
        '[client]\nname = "sandbox"\nbase_currency = "EUR"\ntimezone = "Europe/Paris"\n'
        'state_file = "sandbox.sqlite"\nbase_prices_include_vat = true\nbase_vat_rate = 20\n',
    ]
    for name, sim in sandbox.stores.items():
        table, env = _platform_of(sim).sandbox_store(
            name, sim, "SANDBOX_" + name.upper().replace("-", "_"), 15
        )
        sandbox.env |= env
        parts.append(table)
    for market, countries, language in MARKET_STORES:
        if f"{market}-shop" in sandbox.stores:
            parts.append(
                f'[markets.{market}]\ncountries = {countries}\ncurrency = "EUR"\nlanguage = "{language}"\n'
                f'target = "{market}-shop"\nprices_include_vat = true\nvat_rate = {VAT[market]}\n'
                'rounding = { rule = "charm", ending = 0.90 }\nmin_margin = 30\n'
            )
    if "global" in sandbox.stores:
        for market, countries, currency, language, shopify_market, duty in SHOPIFY_MARKETS:
            includes = "false" if market == "us" else "true"
            parts.append(
                f'[markets.{market}]\ncountries = {countries}\ncurrency = "{currency}"\nlanguage = "{language}"\n'
                f'target = "global"\nshopify_market = "{shopify_market}"\nprices_include_vat = {includes}\n'
                f'vat_rate = {VAT[market]}\n{duty}\nrounding = {{ rule = "charm", ending = 0.99 }}\nmin_margin = 30\n'
            )
    channels = "\n".join(
        f"[inventory.channels.{name}]\nbuffer = {0 if name == 'boutique' else 1}\n" for name in sandbox.stores
    )
    sandbox.env["SANDBOX_DEEPL_KEY"] = SANDBOX_DEEPL_KEY
    every = f'"every {schedule_seconds}s"'
    parts += [
        '[pricing]\nmaster_store = "boutique"\n',
        f'[inventory]\nsource_of_truth = "boutique"\n\n{channels}',
        f'[translation]\nprovider = "deepl"\napi_key = "env:SANDBOX_DEEPL_KEY"\nserver_url = "{sandbox.deepl.base_url}"\n'
        'source_language = "fr"\ndo_not_translate = ["Maison Lune"]\nchar_budget_per_run = 2000000\n',
        f"[schedules]\norders = {every}\nproducts = {every}\ncustomers = {every}\ninventory = {every}\n"
        f"prices = {every}\ntranslations = {every}\njitter_seconds = 0\n",
    ]
    if sandbox.webhook_port:  # the simulators deliver webhooks to 127.0.0.1 (a real store needs https)
        port = sandbox.webhook_port
        parts.append(f'[service]\npublic_url = "http://127.0.0.1:{port}"\nwebhook_port = {port}\n')
    return "\n".join(parts)


def _platform_of(sim) -> registry.Platform:
    """The platform whose registered simulator `sim` is."""
    return next(p for p in registry.platforms() if isinstance(sim, p.simulator()))


def serve_sandbox(*, woocommerce: int, shopify: int, write_config: str | None) -> int:
    sandbox = start_sandbox(woocommerce=woocommerce, shopify=shopify, webhooks=True)
    for sim in sandbox.stores.values():
        if isinstance(sim, ShopifySim):
            print(f"{sim.name}: client credentials grant at {sim.base_url}/admin/oauth/access_token; "
                  f"shorter-lived tokens: POST {sim.base_url}/__sandbox/auth {{\"token_ttl\": 5}}")
    try:
        for name, sim in sandbox.stores.items():
            print(f"{name:<12} {type(sim).__name__:<15} {sim.base_url}")
        print(f"{'deepl':<12} {'DeepLSandbox':<15} {sandbox.deepl.base_url}")
        if write_config:
            path = sandbox.write_config(Path(write_config))
            print(f"\nwrote {path}; in another shell:")
        else:
            print("\nconfig (save it, e.g. with --write-config FILE):\n\n" + sandbox.config_text)
        for key, value in sandbox.env.items():
            print(f"export {key}={value}")
        target = write_config or "FILE"
        print(
            f"\nreal time: `connector webhooks install -c {target}` subscribes every store; `connector run -c "
            f"{target}` then receives their webhooks on port {sandbox.webhook_port}"
        )
        print("\nserving until Ctrl-C")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    finally:
        sandbox.stop()
    return 0
