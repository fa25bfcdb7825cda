"""Every GraphQL document the connector sends validates against the pinned, published Admin schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.platforms.shopify import documents, schema
from connector.platforms.shopify.schema import API_VERSION, load_schema, validate_document

REPO = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".venv", ".cache", ".git", "node_modules", "__pycache__"}


def _graphql_files() -> list[Path]:
    return [
        path
        for path in REPO.rglob("*.graphql")
        if not SKIPPED_DIRS.intersection(part for part in path.relative_to(REPO).parts)
    ]


def _module_documents() -> dict[str, str]:
    """Every public UPPER_CASE string of the documents module, as the connector imports it (documents built
    from shared field selections included; the selections themselves are private)."""
    return {
        name: value
        for name, value in vars(documents).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }


def _documents() -> list[tuple[str, str]]:
    found = [(f"documents.{name}", text) for name, text in _module_documents().items()]
    found += [(str(path.relative_to(REPO)), path.read_text(encoding="utf-8")) for path in _graphql_files()]
    return found


DOCUMENTS = _documents()


def test_the_connector_has_documents_to_check():
    assert len(DOCUMENTS) >= 10
    assert any("bulkOperationRunQuery" in text for _, text in DOCUMENTS)


@pytest.mark.parametrize(("name", "text"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_document_is_valid_against_the_admin_schema(name, text):
    assert validate_document(text) == [], f"{name} does not validate against Admin API {API_VERSION}"


def test_schema_is_the_published_one_for_the_pinned_version():
    admin = load_schema()
    assert admin.query_type.name == "QueryRoot"
    assert "inventorySetQuantities" in admin.mutation_type.fields
    stale_codes = admin.type_map["InventorySetQuantitiesUserErrorCode"].values
    assert "CHANGE_FROM_QUANTITY_STALE" in stale_codes
    assert schema.schema_path().name == f"admin_{API_VERSION}.json.gz"


def test_an_invalid_document_is_rejected():
    unknown_field = validate_document("query { shop { name currencyCodes } }")
    assert any("currencyCodes" in error for error in unknown_field)
    wrong_argument = validate_document("query { products(firstt: 5) { nodes { id } } }")
    assert wrong_argument
    missing_cas_field = validate_document(
        'mutation { inventorySetQuantities(input: {name: "available", reason: "correction", '
        'quantities: [{inventoryItemId: "gid://shopify/InventoryItem/1", locationId: "gid://shopify/Location/1", '
        "compareQuantity: 1, quantity: 2}]}) { userErrors { code } } }"
    )
    assert any("compareQuantity" in error for error in missing_cas_field)
    assert validate_document("query { shop { name ") != []


def test_a_missing_override_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv(schema.SCHEMA_ENV, str(tmp_path / "nowhere.json.gz"))
    with pytest.raises(schema.SchemaUnavailableError, match="nowhere.json.gz"):
        schema.schema_path()


def test_without_cache_and_without_npm_the_error_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv(schema.SCHEMA_ENV, raising=False)
    monkeypatch.setattr(schema, "_cache_dirs", lambda: [tmp_path / "repo-cache", tmp_path / "home-cache"])
    monkeypatch.setattr(schema.shutil, "which", lambda name: None)
    with pytest.raises(schema.SchemaUnavailableError, match="npm is not installed"):
        schema.schema_path()


def deprecated_uses(text: str, version: str = API_VERSION) -> list[str]:
    """Fields, arguments and enum values a document uses that the version's schema marks deprecated."""
    from graphql import parse, validate
    from graphql.validation import NoDeprecatedCustomRule

    return [error.message for error in validate(load_schema(version), parse(text), [NoDeprecatedCustomRule])]


@pytest.mark.parametrize("version", schema.SUPPORTED_VERSIONS)
def test_every_document_is_valid_against_each_supported_version(version):
    invalid = {name: validate_document(text, version) for name, text in DOCUMENTS}
    assert {name: errors for name, errors in invalid.items() if errors} == {}, f"Admin API {version}"


def test_no_document_uses_a_field_deprecated_in_the_pinned_version():
    used = {name: deprecated_uses(text) for name, text in DOCUMENTS}
    assert {name: found for name, found in used.items() if found} == {}


def test_a_deprecated_field_is_caught():
    found = deprecated_uses("query { currentBulkOperation { id status } }")
    assert found and "currentBulkOperation" in found[0] and "bulkOperations" in found[0]


def test_the_supported_versions_are_the_shipped_ones_from_2026_04():
    assert schema.SUPPORTED_VERSIONS == tuple(v for v in schema.SHIPPED_VERSIONS if v >= "2026-04")
    assert API_VERSION == schema.SUPPORTED_VERSIONS[-1]
    for version in schema.SHIPPED_VERSIONS:  # the fetcher keeps every shipped version
        assert schema.schema_path(version).name == f"admin_{version}.json.gz"
