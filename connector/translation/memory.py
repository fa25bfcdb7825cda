"""Translation memory: every text paid for once, looked up by what determines its translation.

An entry is keyed by (sha256 of the source text, source language, target language, provider,
glossary version). The provider label includes options that change the output, such as DeepL
formality. A rejected machine answer is remembered too, with its reason, so that the same broken
answer is not bought again on every run; `forget_rejected` clears those to retry them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

TABLE = "translation_memory"


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MemoryKey:
    source_hash: str
    source_lang: str
    target_lang: str
    provider: str
    glossary_version: str

    @classmethod
    def of(
        cls, text: str, source_lang: str, target_lang: str, provider: str, glossary_version: str
    ) -> MemoryKey:
        return cls(source_hash(text), source_lang.lower(), target_lang.lower(), provider, glossary_version)

    @property
    def digest(self) -> str:
        parts = (self.source_hash, self.source_lang, self.target_lang, self.provider, self.glossary_version)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MemoryEntry:
    key: MemoryKey
    translation: str | None  # None when rejected
    rejected_reason: str | None
    characters: int  # characters sent to the provider to obtain it
    created_at: datetime


class TranslationMemory:
    def __init__(self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.db = db
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def get_many(self, keys: Iterable[MemoryKey]) -> dict[MemoryKey, MemoryEntry]:
        by_digest = {key.digest: key for key in keys}
        found: dict[MemoryKey, MemoryEntry] = {}
        digests = list(by_digest)
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            placeholders = ",".join("?" for _ in chunk)
            rows = self.db.execute(
                f"SELECT key, translation, rejected_reason, characters, created_at FROM [{TABLE}] "
                f"WHERE key IN ({placeholders})",
                chunk,
            ).fetchall()
            for digest, translation, rejected_reason, characters, created_at in rows:
                key = by_digest[digest]
                found[key] = MemoryEntry(
                    key, translation, rejected_reason, characters, datetime.fromisoformat(created_at)
                )
        return found

    def get(self, key: MemoryKey) -> MemoryEntry | None:
        return self.get_many([key]).get(key)

    def put(
        self, key: MemoryKey, translation: str | None, *, characters: int, rejected_reason: str | None = None
    ) -> MemoryEntry:
        entry = MemoryEntry(key, translation, rejected_reason, characters, self._clock())
        self.put_many([entry])
        return entry

    def put_many(self, entries: Iterable[MemoryEntry]) -> None:
        rows = [
            {
                "key": entry.key.digest,
                "source_hash": entry.key.source_hash,
                "source_lang": entry.key.source_lang,
                "target_lang": entry.key.target_lang,
                "provider": entry.key.provider,
                "glossary_version": entry.key.glossary_version,
                "translation": entry.translation,
                "rejected_reason": entry.rejected_reason,
                "characters": entry.characters,
                "created_at": entry.created_at.astimezone(UTC).isoformat(),
            }
            for entry in entries
        ]
        if rows:
            with self.db.conn:
                self.db[TABLE].insert_all(rows, pk="key", replace=True)

    def forget_rejected(self) -> int:
        """Drop remembered rejections so that the next run asks the provider again; returns how many."""
        with self.db.conn:
            cursor = self.db.execute(f"DELETE FROM [{TABLE}] WHERE translation IS NULL")
        return cursor.rowcount

    def count(self) -> int:
        return self.db[TABLE].count
