"""Keyed writes to the state never lose or null a row. sqlite-utils' `upsert` first inserts the key columns
alone under INSERT OR IGNORE: on a table with a NOT NULL column that insert is refused without an error and
the update that follows finds no row, so a new record is dropped silently. The connector's keyed writes are
plain SQL upserts (INSERT ... ON CONFLICT DO UPDATE) or whole-row replaces instead."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlite_utils

from connector.state import open_state

PACKAGE = Path(__file__).resolve().parents[1] / "connector"


def test_sqlite_utils_upsert_drops_a_new_row_of_a_table_with_a_not_null_column():
    db = sqlite_utils.Database(memory=True)
    db["held"].create({"key": str, "value": str, "at": str}, pk="key", not_null={"at"})
    db["held"].upsert({"key": "a", "value": "x", "at": "now"}, pk="key")
    assert db["held"].count == 0  # no error, no row: why the connector does not use it


def test_no_module_of_the_connector_writes_through_sqlite_utils_upsert():
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("upsert", "upsert_all")
            ):
                calls.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert calls == []


def test_a_cursor_is_kept_and_moved_even_where_its_columns_are_not_null(tmp_path):
    with open_state(tmp_path / "c.sqlite") as state:
        with state.transaction():
            state.set_cursor("fr", "products", "p1")
            state.set_cursor("fr", "products", "p2")
            state.set_cursor("fr", "orders", "o1")
        assert (state.cursor("fr", "products"), state.cursor("fr", "orders")) == ("p2", "o1")
        # the same table with NOT NULL columns, as a later migration could make it
        state.db["cursors"].drop()
        state.db["cursors"].create(
            {"store": str, "resource": str, "position": str, "updated_at": str},
            pk=("store", "resource"),
            not_null={"position", "updated_at"},
        )
        with state.transaction():
            state.set_cursor("de", "customers", "c1")
        with state.transaction():
            state.set_cursor("de", "customers", "c2")
        rows = list(state.db.query("select store, resource, position from cursors"))
        assert rows == [{"store": "de", "resource": "customers", "position": "c2"}]
