"""Translation memory on SQLite: keys, persistence, timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlite_utils import Database

from connector.state import open_state
from connector.translation.glossary import NO_GLOSSARY_VERSION, Glossary, glossary_version
from connector.translation.memory import (
    TABLE,
    MemoryEntry,
    MemoryKey,
    TranslationMemory,
    source_hash,
)


@pytest.fixture
def db(tmp_path):
    state = open_state(tmp_path / "state.db")
    yield state.db
    state.close()


def test_state_defines_the_memory_table_and_its_key(db: Database) -> None:
    table = db[TABLE]
    assert table.pks == ["key"]
    assert set(table.columns_dict) == {
        "key", "source_hash", "source_lang", "target_lang", "provider", "glossary_version",
        "translation", "rejected_reason", "characters", "created_at",
    }  # fmt: skip


def test_each_part_of_the_key_makes_a_different_entry() -> None:
    base = MemoryKey.of("<p>Savon</p>", "fr", "de", "deepl", "none")
    variants = [
        MemoryKey.of("<p>Savon </p>", "fr", "de", "deepl", "none"),
        MemoryKey.of("<p>Savon</p>", "en", "de", "deepl", "none"),
        MemoryKey.of("<p>Savon</p>", "fr", "en", "deepl", "none"),
        MemoryKey.of("<p>Savon</p>", "fr", "de", "libretranslate", "none"),
        MemoryKey.of("<p>Savon</p>", "fr", "de", "deepl", "a1b2c3"),
    ]
    assert len({base.digest, *(variant.digest for variant in variants)}) == 6
    assert MemoryKey.of("<p>Savon</p>", "FR", "DE", "deepl", "none") == base
    assert base.source_hash == source_hash("<p>Savon</p>") and len(base.source_hash) == 64


def test_entries_persist_with_utc_aware_timestamps(tmp_path) -> None:
    path = tmp_path / "memory.db"
    database = open_state(path).db
    paris = timezone(timedelta(hours=2))
    memory = TranslationMemory(database, clock=lambda: datetime(2025, 6, 1, 14, 0, tzinfo=paris))
    key = MemoryKey.of("Savon", "fr", "de", "deepl", "none")
    memory.put(key, "[DE] Seife", characters=5)
    database.close()

    reopened = TranslationMemory(Database(path))
    entry = reopened.get(key)
    assert entry == MemoryEntry(key, "[DE] Seife", None, 5, datetime(2025, 6, 1, 12, 0, tzinfo=UTC))
    assert entry.created_at.utcoffset() == timedelta(0)
    reopened.db.close()


def test_put_replaces_and_get_many_reads_beyond_one_sql_chunk(db: Database) -> None:
    memory = TranslationMemory(db)
    keys = [MemoryKey.of(f"texte {n}", "fr", "de", "deepl", "none") for n in range(1200)]
    memory.put_many(MemoryEntry(key, f"Text {n}", None, 8, memory.now()) for n, key in enumerate(keys))
    memory.put(keys[0], "Text null", characters=8)
    found = memory.get_many(keys + [MemoryKey.of("absent", "fr", "de", "deepl", "none")])
    assert len(found) == 1200 and memory.count() == 1200
    assert found[keys[0]].translation == "Text null"
    assert found[keys[1199]].translation == "Text 1199"


def test_rejections_are_remembered_until_forgotten(db: Database) -> None:
    memory = TranslationMemory(db)
    rejected = MemoryKey.of("<p>a</p>", "fr", "de", "deepl", "none")
    accepted = MemoryKey.of("<p>b</p>", "fr", "de", "deepl", "none")
    memory.put(rejected, None, characters=8, rejected_reason="tag <p> is missing")
    memory.put(accepted, "<p>B</p>", characters=8)
    assert memory.get(rejected).rejected_reason == "tag <p> is missing"
    assert memory.forget_rejected() == 1
    assert memory.get(rejected) is None and memory.get(accepted) is not None


def test_glossary_version_changes_only_for_the_language_pair_it_affects() -> None:
    glossary = Glossary.of(do_not_translate=["Douce France"], terms={"de": {"savon": "Seife"}})
    more_german = Glossary.of(
        do_not_translate=["Douce France"], terms={"DE": {"savon": "Seife", "huile": "Öl"}}
    )
    assert glossary_version(glossary, "fr", "de") != glossary_version(more_german, "fr", "de")
    assert glossary_version(glossary, "fr", "en") == glossary_version(more_german, "fr", "en-US")
    assert glossary_version(None, "fr", "de") == NO_GLOSSARY_VERSION
    assert glossary_version(Glossary.of(terms={"de": {"a": "b"}}), "fr", "en") == NO_GLOSSARY_VERSION
    assert glossary.entries_for("de-AT") == {"Douce France": "Douce France", "savon": "Seife"}
