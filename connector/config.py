"""Client configuration: one TOML file per client, validated all at once.

Loading runs three passes over the file and reports every problem it finds together, each naming the file,
the key path and the fix:
1. TOML syntax (line and column);
2. `env:VARNAME` resolution (a missing variable, or a secret written literally in the file);
3. the schema below (unknown keys with the closest valid one, wrong types, ISO codes, references between
   sections such as a market whose target store does not exist).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SecretStr,
    ValidationError,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from connector.logs import register_secret
from connector.platforms import registry
from connector.pricing.rules import UNKNOWN_KEY_TYPES, BasePricing, MarketPricing
from connector.pricing.values import name_siblings

ENV_PREFIX = "env:"
SECRET_KEYS = frozenset(
    {"consumer_key", "consumer_secret", "access_token", "api_key", "client_id", "client_secret"}
)
TEMPLATE_PATH = Path(__file__).parent / "templates" / "client.toml"


class ConfigError(Exception):
    """A config file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__("\n".join(f"{self.path}: {p}" for p in problems))


# --- ISO codes and other checked strings -------------------------------------------------------------------


def _country(code: str) -> str:
    if pycountry.countries.get(alpha_2=code.upper()) is None or code != code.upper():
        raise ValueError(
            f"unknown country {code!r}; use an ISO 3166 alpha-2 code in capitals such as FR, DE, US"
        )
    return code


def _language(code: str) -> str:
    base = code.split("-")[0]
    if not base.islower() or pycountry.languages.get(alpha_2=base) is None:
        raise ValueError(
            f"unknown language {code!r}; use an ISO 639-1 code such as fr, de, en (optionally en-GB)"
        )
    return code


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/Paris or UTC"
        ) from None
    return name


def _http_url(url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError(f"{url!r} is not a URL; write it as https://shop.example.com")
    return url.rstrip("/")


_SCHEDULE = re.compile(r"^every\s+(\d+)\s*(s|m|h)$")


def _schedule(text: str) -> str:
    if _SCHEDULE.match(text.strip()):
        return text
    if text.startswith("cron:"):
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(text[len("cron:") :].strip(), timezone="UTC")
        except ValueError as exc:
            raise ValueError(
                f"bad cron expression {text!r} ({exc}); write five fields, e.g. 'cron: */5 * * * *'"
            ) from None
        return text
    raise ValueError(f"bad schedule {text!r}; write 'every 90s', 'every 5m', 'every 1h' or 'cron: 0 3 * * *'")


def schedule_seconds(text: str) -> int | None:
    """Interval of an 'every N[smh]' schedule in seconds, None for a cron schedule."""
    match = _SCHEDULE.match(text.strip())
    if not match:
        return None
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]


def _shard(value: Any) -> Any:
    """The shard whose workers serve the client in the distributed mode (`connector worker --shard N`)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SHARD:
        raise ValueError(
            f"a shard is a whole number from 0 to {MAX_SHARD} (got {value!r}): the client's jobs run on the "
            "workers started with `connector worker --shard N`; leave it out for shard 0"
        )
    return value


MAX_SHARD = 999
Country = Annotated[str, AfterValidator(_country)]
Language = Annotated[str, AfterValidator(_language)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Schedule = Annotated[str, AfterValidator(_schedule)]
Percent = Annotated[Decimal, Field(ge=0, le=1000)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- sections ---------------------------------------------------------------------------------------------


class ClientSection(BasePricing, Section):
    """The client, and its base prices' settings (base_currency, base_prices_include_vat, base_vat_rate:
    connector/pricing/rules.py, the one schema of price rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    timezone: TimeZoneName = "UTC"
    state_file: str = ""
    shard: Annotated[int, BeforeValidator(_shard)] = 0


def _store_table(value: Any) -> Any:
    """A [stores.NAME] table, validated by the model of the platform it names (connector/platforms/registry.py)."""
    if isinstance(value, BaseModel):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("store_table", "must be a table: [stores.NAME] with a platform key")
    name = value.get("platform")
    platform = registry.get(name) if isinstance(name, str) else None
    if platform is None:
        kind = "unknown_platform" if "platform" in value else "missing_platform"
        error = InitErrorDetails(type=PydanticCustomError(kind, kind), loc=("platform",), input=name)
        raise ValidationError.from_exception_data("store", [error])
    return platform.store_config.model_validate(value)


# The table of one store: the model its platform package registered (WooCommerceStore, ShopifyStore, ...).
StoreConfig = Annotated[Any, PlainValidator(_store_table)]


def __getattr__(name: str) -> type:
    """The store models lived here before their platform packages held them: `connector.config.ShopifyStore`
    still finds the registered model of that name."""
    for platform in registry.platforms():
        if platform.store_config.__name__ == name:
            return platform.store_config
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MarketConfig(MarketPricing, Section):
    """A market: where it is, its language and target store, and its price settings (currency, VAT, duty,
    adjustments, rounding, floor, guardrail: connector/pricing/rules.py, the one schema of price rules)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    countries: list[Country] = Field(min_length=1)
    language: Language
    target: str
    shopify_market: str | None = None

    @property
    def store_market(self) -> str | None:
        """The market of the target store this market sells through (`shopify_market`), if any."""
        return self.shopify_market


class PricingSection(Section):
    master_store: str | None = None
    cost_meta_key: str = "_cost"
    cost_csv: str | None = None


def _units(value: Any) -> Any:
    """A stock figure: a whole number of units, 0 or more (a negative buffer or maximum could oversell)."""
    whole = isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value())
    if isinstance(value, bool) or not whole or value < 0:
        raise ValueError(f"write a whole number of units, 0 or more (got {value!r})")
    return int(value)


def _share(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or not 0 <= value <= 100:
        raise ValueError(
            f"a share is the percent of the pool a channel shows, from 0 to 100 (got {value!r}); shares of "
            "several channels may add up to more than 100, but no channel may show more than the whole pool"
        )
    return Decimal(value)


Units = Annotated[int, BeforeValidator(_units)]
Share = Annotated[Decimal, BeforeValidator(_share)]


class ChannelRules(Section):
    buffer: Units = 0
    share: Share = Decimal(100)
    max_quantity: Units | None = None
    zero_below: Units = 0


class InventorySection(Section):
    source_of_truth: str | None = None
    channels: dict[str, ChannelRules] = {}
    # Stores that sell pooled SKUs but keep their own stock (not pooled, never written).
    excluded: list[str] = []
    # Stock guardrails: a drop on a channel other than the source of truth that orders pulled for that
    # channel do not explain is held, not folded, when it exceeds this share of the pool or these units.
    max_drop_percent: Share = Decimal(50)
    max_drop_units: Units | None = None


class TranslationSection(Section):
    provider: Literal["deepl", "libretranslate", "none"] = "none"
    api_key: SecretStr | None = None
    server_url: HttpUrl | None = None
    source_language: Language = "en"
    languages: list[Language] = []
    fields: list[Literal["title", "description", "short_description"]] = [
        "title",
        "description",
        "short_description",
    ]
    formality: Literal["default", "more", "less", "prefer_more", "prefer_less"] = "default"
    do_not_translate: list[str] = []
    glossary: dict[str, dict[str, str]] = {}
    human_files: list[str] = []
    detect_language: bool = True
    char_budget_per_run: int = Field(default=500_000, ge=0)


class ReportsSection(Section):
    high_risk_countries: list[Country] = []
    first_order_aov_multiple: Decimal = Field(default=Decimal(3), gt=0)
    address_window_days: int = Field(default=7, ge=1)
    address_count: int = Field(default=2, ge=2)
    traffic_csv: str | None = None
    tag_flagged_orders: bool = False


class AlertsSection(Section):
    urls: list[str] = []  # Apprise URLs, each "env:VARNAME" (they carry tokens)
    after_failures: int = Field(default=3, ge=1, le=1000)  # a job failing this many times in a row alerts


class SchedulesSection(Section):
    orders: Schedule = "every 2m"
    products: Schedule = "every 15m"
    customers: Schedule = "every 1h"
    inventory: Schedule = "every 1m"
    prices: Schedule = "every 6h"
    translations: Schedule = "every 24h"
    jitter_seconds: int = Field(default=10, ge=0, le=3600)


def _public_url(url: str) -> str:
    """Platforms deliver webhooks over https only (loopback addresses excepted: the local simulators)."""
    url = _http_url(url)
    loopback = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)", url)
    if not url.startswith("https://") and not loopback:
        raise ValueError(
            f"{url!r}: the platforms deliver webhooks to https addresses only; write https://... (a reverse "
            "proxy in front of the webhook port, README: Real time)"
        )
    return url


class ServiceSection(Section):
    """`connector run`: how it bounds this client's share of the process (README: how clients are isolated),
    where the platforms reach its webhook receiver, and the polling it keeps beside it (README: Real time)."""

    concurrent_jobs: int = Field(default=4, ge=1, le=64)  # the client's jobs running at once; more coalesce
    retry_seconds: int = Field(default=30, ge=1, le=3600)  # the longest one request of its jobs is retried
    public_url: Annotated[str, AfterValidator(_public_url)] | None = None
    webhook_port: int | None = Field(default=None, ge=0, le=65535)
    # orders are still polled while webhooks deliver, at this longer interval (reconciliation)
    orders_with_webhooks: Schedule = "every 15m"
    webhook_check: Schedule = "every 1h"  # subscriptions removed or disabled by a platform are repaired


class ClientConfig(Section):
    client: ClientSection
    stores: dict[str, StoreConfig] = Field(min_length=1)
    markets: dict[str, MarketConfig] = {}
    pricing: PricingSection = PricingSection()
    inventory: InventorySection = InventorySection()
    translation: TranslationSection = TranslationSection()
    reports: ReportsSection = ReportsSection()
    schedules: SchedulesSection = SchedulesSection()
    alerts: AlertsSection = AlertsSection()
    service: ServiceSection = ServiceSection()
    path: Path = Field(default=Path("."), exclude=True)

    @property
    def state_path(self) -> Path:
        raw = self.client.state_file or f"{self.client.name}.sqlite"
        target = Path(raw).expanduser()
        return target if target.is_absolute() else (self.path.parent / target).resolve()

    def resolve_path(self, raw: str) -> Path:
        target = Path(raw).expanduser()
        return target if target.is_absolute() else (self.path.parent / target).resolve()

    @property
    def target_languages(self) -> list[str]:
        if self.translation.languages:
            return list(self.translation.languages)
        seen = dict.fromkeys(m.language for m in self.markets.values())
        seen.pop(self.translation.source_language, None)
        return list(seen)


# --- loading ----------------------------------------------------------------------------------------------


def load_config(path: Path | str, *, environ: typing.Mapping[str, str] | None = None) -> ClientConfig:
    path = Path(path)
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            path, ["file not found; create it with `connector init NAME` or check the path"]
        ) from None
    except OSError as exc:
        raise ConfigError(path, [f"cannot read the file ({exc.strerror}); check its permissions"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [_not_utf8(path, exc)]) from None
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            path, [f"TOML syntax error: {_toml_position(str(exc))}; fix the syntax there"]
        ) from None

    problems = _resolve_env(raw, (), environ)
    config = None
    priced = bool(raw.get("markets"))  # base_prices_include_vat is then required (the pricing schema)
    try:
        config = ClientConfig.model_validate({**raw, "path": path}, context={"pricing": priced})
    except ValidationError as exc:
        problems += [_describe(err) for err in exc.errors()]
    problems += _check_references(raw)
    if config is not None:
        from connector.alerts import check_urls

        problems += check_urls(config.alerts.urls)
    if problems:
        raise ConfigError(path, problems)
    assert config is not None
    for store in config.stores.values():
        # A store that keeps things in the client's state (e.g. Shopify's authorization-code tokens) is told where.
        bind = getattr(store, "bind_to_client", None)
        if bind is not None:
            bind(config.state_path, path)
    return config


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> str:
    """TOML files are UTF-8 (toml.io: "A TOML file must be a valid UTF-8 encoded Unicode document")."""
    data = exc.object if isinstance(exc.object, bytes) else b""
    line = data.count(b"\n", 0, exc.start) + 1
    column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
    return (
        f"line {line}, column {column}: the file is not UTF-8 (byte 0x{data[exc.start]:02x}; "
        "a Latin-1 or Windows-1252 editor wrote it); TOML must be UTF-8: convert it with "
        f"`iconv -f latin1 -t utf-8 {path} > {path}.utf8 && mv {path}.utf8 {path}` or save it as UTF-8"
    )


def _toml_position(message: str) -> str:
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not match:
        return message
    return f"line {match.group(1)}, column {match.group(2)}: {message[: match.start()].strip()}"


def _key_path(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) if loc else "(top level)"


def _resolve_env(node: Any, loc: tuple, environ: typing.Mapping[str, str]) -> list[str]:
    """Replace every `env:NAME` string in place; refuse secrets written literally."""
    problems: list[str] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        here = (*loc, key)
        secret = key in SECRET_KEYS or loc == ("alerts", "urls")
        if isinstance(value, dict | list):
            problems += _resolve_env(value, here, environ)
        elif isinstance(value, str) and value.startswith(ENV_PREFIX):
            name = value[len(ENV_PREFIX) :].strip()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                problems.append(
                    f"{_key_path(here)}: {value!r} is not a valid variable name; write env:VARNAME"
                )
            elif name not in environ:
                problems.append(
                    f"{_key_path(here)}: environment variable {name} is not set; export {name}=... first"
                )
            else:
                node[key] = environ[name]
                if secret:
                    register_secret(environ[name])
        elif secret and isinstance(value, str) and value:
            register_secret(value)
            problems.append(
                f"{_key_path(here)}: a secret is written in the file; write "
                + (f'{key} = "env:VARNAME"' if key in SECRET_KEYS else 'urls = ["env:VARNAME"]')
                + " and export VARNAME in the environment instead"
            )
    return problems


def _describe(err: dict) -> str:
    loc = tuple(err["loc"])
    kind = err["type"]
    where = _key_path(loc)
    if kind in UNKNOWN_KEY_TYPES:
        known = _known_keys(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys here: {', '.join(sorted(known))}"
        return f"{where}: unknown key; {hint}"
    if kind == "missing":
        return f"{where}: required key is missing; add it (see config/example.toml)"
    if kind == "unknown_platform":
        return f"{where}: unknown platform; use {_either(registry.names())}"
    if kind == "missing_platform":
        return f"{where}: required key is missing; add platform = {_either(registry.names())}"
    message = name_siblings(err["msg"].removeprefix("Value error, "), _key_path(loc[:-1]))
    got = err.get("input")
    if kind != "value_error" and not isinstance(got, dict | list) and loc and loc[-1] not in SECRET_KEYS:
        message += f" (got {got!r})"
    return f"{where}: {message}"


def _either(names: list[str]) -> str:
    """'"a"', '"a" or "b"', '"a", "b" or "c"'."""
    quoted = [f'"{name}"' for name in names]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)


def _known_keys(loc: tuple) -> list[str]:
    """Field names of the section at `loc`, found by walking the model annotations."""
    annotation: Any = ClientConfig
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in (dict, list):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    if annotation is StoreConfig:
        return sorted({name for p in registry.platforms() for name in p.store_config.model_fields})
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        names: set[str] = set()
        for option in typing.get_args(annotation):
            if isinstance(option, type) and issubclass(option, BaseModel):
                names |= set(option.model_fields)
        return sorted(names)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [name for name in annotation.model_fields if name != "path"]
    if dataclasses.is_dataclass(annotation):
        return [item.name for item in dataclasses.fields(annotation)]
    return []


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _check_references(raw: dict) -> list[str]:
    """Names that must point at a configured store; checked on the raw file so they join the other problems."""
    stores = raw.get("stores") if isinstance(raw.get("stores"), dict) else {}
    known = ", ".join(sorted(stores)) or "none configured"
    problems = []

    def need_store(where: str, name: Any) -> None:
        if isinstance(name, str) and name not in stores:
            problems.append(f"{where}: no store named {name!r}; use one of the [stores.*] names ({known})")

    for market_name, market in _sections(raw.get("markets")):
        need_store(f"markets.{market_name}.target", market.get("target"))
        target = stores.get(market.get("target"))
        if market.get("shopify_market") and isinstance(target, dict) and not _has_markets(target):
            with_markets = " or ".join(p.title for p in registry.platforms() if _offers_markets(p)) or "no"
            problems.append(
                f"markets.{market_name}.shopify_market: only a target with markets ({with_markets}) takes it; "
                "remove it or point target at such a store"
            )
    pricing = raw.get("pricing") if isinstance(raw.get("pricing"), dict) else {}
    need_store("pricing.master_store", pricing.get("master_store"))
    inventory = raw.get("inventory") if isinstance(raw.get("inventory"), dict) else {}
    need_store("inventory.source_of_truth", inventory.get("source_of_truth"))
    channels = dict(_sections(inventory.get("channels")))
    for channel in channels:
        need_store(f"inventory.channels.{channel}", channel)
    excluded = inventory.get("excluded") if isinstance(inventory.get("excluded"), list) else []
    for position, name in enumerate(excluded):
        need_store(f"inventory.excluded.{position}", name)
        if name in channels:
            problems.append(
                f"inventory.excluded.{position}: {name!r} is also an inventory channel; "
                "remove it from one of the two"
            )
    source = inventory.get("source_of_truth")
    pooled = list(channels) or [name for name in stores if name not in excluded]
    if isinstance(source, str) and source in stores and source not in pooled:
        problems.append(
            f"inventory.source_of_truth: {source!r} is not one of the inventory channels "
            f"({', '.join(pooled) or 'none'}); make it a channel or name one of them"
        )
    return problems


def _offers_markets(platform: registry.Platform) -> bool:
    """Whether the platform's stores sell to markets of their own: per-market prices or translations."""
    adapter = platform.adapter()
    return adapter.price_target(per_market=True) is not None or bool(
        adapter.translations and adapter.translations.per_market
    )


def _has_markets(store: dict) -> bool:
    name = store.get("platform")
    platform = registry.get(name) if isinstance(name, str) else None  # an unknown one is reported on its own
    return platform is None or _offers_markets(platform)


def _sections(node: Any) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in node.items() if isinstance(v, dict)] if isinstance(node, dict) else []


def write_template(target: Path, client_name: str) -> Path:
    """Write a documented config for a new client; never overwrites an existing file."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", client_name):
        raise ValueError(f"client name {client_name!r}: use lower-case letters, digits, '-' and '_'")
    upper = re.sub(r"[^A-Z0-9]", "_", client_name.upper())
    text = TEMPLATE_PATH.read_text(encoding="utf-8").replace("example", client_name).replace("EXAMPLE", upper)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as out:
        out.write(text)
    return target
