"""The pinned Shopify Admin GraphQL schema, as Shopify publishes it in the npm package `@shopify/dev-mcp`.

The schema is never written by hand: `schema_path()` finds the published introspection result in a cache, or
fetches it once with `npm pack` and keeps only the one file needed.
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
SCHEMA_FILE = f"admin_{API_VERSION}.json.gz"
SCHEMA_MEMBER = f"package/dist/data/{SCHEMA_FILE}"
SCHEMA_ENV = "CONNECTOR_SHOPIFY_SCHEMA"

_REPO_ROOT = Path(__file__).resolve().parents[3]


class SchemaUnavailableError(RuntimeError):
    """The published schema could not be found or fetched."""


def _cache_dirs() -> list[Path]:
    return [_REPO_ROOT / ".cache" / "shopify", Path.home() / ".cache" / "connector" / "shopify"]


def schema_path() -> Path:
    """Path of the gzipped introspection result for API_VERSION, fetching it with npm if no cache holds it."""
    override = os.environ.get(SCHEMA_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise SchemaUnavailableError(f"{SCHEMA_ENV}={override} does not name a file")
        return path
    for directory in _cache_dirs():
        candidate = directory / SCHEMA_FILE
        if candidate.is_file():
            return candidate
    return _fetch_schema()


def _fetch_schema() -> Path:
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
            try:
                member = archive.getmember(SCHEMA_MEMBER)
            except KeyError:
                raise SchemaUnavailableError(f"{SCHEMA_PACKAGE} has no {SCHEMA_MEMBER}") from None
            source = archive.extractfile(member)
            if source is None:
                raise SchemaUnavailableError(f"{SCHEMA_MEMBER} in {SCHEMA_PACKAGE} is not a regular file")
            target = target_dir / SCHEMA_FILE
            partial = target.with_suffix(".partial")
            with source, open(partial, "wb") as sink:
                shutil.copyfileobj(source, sink)
            os.replace(partial, target)
    return target


@functools.cache
def load_schema() -> GraphQLSchema:
    """The Admin API schema for API_VERSION (built once per process)."""
    with gzip.open(schema_path(), "rt", encoding="utf-8") as handle:
        introspection = json.load(handle)
    data = introspection.get("data", introspection)
    return build_client_schema(data, assume_valid=True)


def validate_document(text: str) -> list[str]:
    """Validation errors of a GraphQL document against the pinned schema; an empty list means it is valid."""
    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        return [exc.message]
    return [error.message for error in validate(load_schema(), document)]
