"""The pinned Shopify Admin GraphQL schemas, as Shopify publishes them in the npm package `@shopify/dev-mcp`.

The schema is never written by hand: `schema_path()` finds the published introspection result in a cache, or
fetches the package once with `npm pack` and keeps the file of every supported version
(`python -m connector.platforms.shopify.schema` does it ahead of time, as `tasks.py test` runs it).

SHIPPED_VERSIONS are the stable versions the pinned package ships; the connector accepts those from
MINIMUM_VERSION on: `inventorySetQuantities` takes `@idempotent(key:)` and requires `changeFromQuantity` from
2026-04
(https://shopify.dev/docs/api/admin-graphql/2027-01/payloads/InventorySetQuantitiesPayload,
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/inventorySetOnHandQuantities),
and every document the connector sends is validated against each of them by the test suite.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema, parse, validate
from graphql.error import GraphQLSyntaxError

API_VERSION = "2026-10"
SCHEMA_PACKAGE = "@shopify/dev-mcp@1.16.0"
SHIPPED_VERSIONS = ("2025-10", "2026-01", "2026-04", "2026-07", "2026-10")  # admin_<version>.json.gz in it
MINIMUM_VERSION = "2026-04"
SUPPORTED_VERSIONS = tuple(v for v in SHIPPED_VERSIONS if v >= MINIMUM_VERSION)
SCHEMA_FILE = f"admin_{API_VERSION}.json.gz"
SCHEMA_MEMBER = f"package/dist/data/{SCHEMA_FILE}"
SCHEMA_ENV = "CONNECTOR_SHOPIFY_SCHEMA"


def schema_file(version: str) -> str:
    return f"admin_{version}.json.gz"


def supported_versions_text() -> str:
    return ", ".join(SUPPORTED_VERSIONS)

_REPO_ROOT = Path(__file__).resolve().parents[3]


class SchemaUnavailableError(RuntimeError):
    """The published schema could not be found or fetched."""


def _cache_dirs() -> list[Path]:
    return [_REPO_ROOT / ".cache" / "shopify", Path.home() / ".cache" / "connector" / "shopify"]


def schema_path(version: str = API_VERSION) -> Path:
    """Path of the gzipped introspection result of a version, fetching the package with npm if no cache holds
    it. CONNECTOR_SHOPIFY_SCHEMA overrides the pinned version's file."""
    override = os.environ.get(SCHEMA_ENV)
    if override and version == API_VERSION:
        path = Path(override)
        if not path.is_file():
            raise SchemaUnavailableError(f"{SCHEMA_ENV}={override} does not name a file")
        return path
    for directory in _cache_dirs():
        candidate = directory / schema_file(version)
        if candidate.is_file():
            return candidate
    return _fetch_schema(version)


def _fetch_schema(version: str = API_VERSION) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailableError(
            f"the Shopify schema {SCHEMA_FILE} is not cached and npm is not installed; install Node.js/npm "
            f"or place the file from {SCHEMA_PACKAGE} ({SCHEMA_MEMBER}) in {_cache_dirs()[0]} "
            f"or point {SCHEMA_ENV} at it"
        )
    errors = []
    for target_dir in _cache_dirs():
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            errors.append(f"{target_dir}: {exc}")
            continue
        break
    else:
        raise SchemaUnavailableError(
            "no writable cache directory for the Shopify schema: " + "; ".join(errors)
        )
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run(
            [npm, "pack", SCHEMA_PACKAGE, "--silent"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
        )
        tarballs = list(Path(workdir).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise SchemaUnavailableError(
                f"`npm pack {SCHEMA_PACKAGE}` failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[:500]}"
            )
        with tarfile.open(tarballs[0], "r:gz") as archive:
            for shipped in SHIPPED_VERSIONS:  # keep every shipped version: each is validated against
                member_name = f"package/dist/data/{schema_file(shipped)}"
                try:
                    member = archive.getmember(member_name)
                except KeyError:
                    raise SchemaUnavailableError(f"{SCHEMA_PACKAGE} has no {member_name}") from None
                source = archive.extractfile(member)
                if source is None:
                    raise SchemaUnavailableError(f"{member_name} in {SCHEMA_PACKAGE} is not a regular file")
                target = target_dir / schema_file(shipped)
                partial = target.with_suffix(".partial")
                with source, open(partial, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                os.replace(partial, target)
    return target_dir / schema_file(version)


@functools.cache
def load_schema(version: str = API_VERSION) -> GraphQLSchema:
    """The Admin API schema of a version (built once per process)."""
    with gzip.open(schema_path(version), "rt", encoding="utf-8") as handle:
        introspection = json.load(handle)
    data = introspection.get("data", introspection)
    return build_client_schema(data, assume_valid=True)


def validate_document(text: str, version: str = API_VERSION) -> list[str]:
    """Validation errors of a GraphQL document against a version's schema; an empty list means it is valid."""
    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        return [exc.message]
    return [error.message for error in validate(load_schema(version), document)]


def ensure_cached() -> list[Path]:
    """Every shipped version's schema file in the cache (fetching the package once when one is missing)."""
    return [schema_path(version) for version in SHIPPED_VERSIONS]


if __name__ == "__main__":
    for found in ensure_cached():
        print(found)
