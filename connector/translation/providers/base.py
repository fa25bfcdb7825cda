"""The one interface every machine-translation provider implements, and its error type."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from connector.translation.glossary import Glossary


class ProviderError(Exception):
    """A provider call failed. `kind` is one of the KINDS; the message never contains a secret."""

    KINDS = ("auth", "quota", "rate_limited", "unreachable", "bad_request", "unexpected")

    def __init__(self, provider: str, kind: str, message: str):
        if kind not in self.KINDS:
            raise ValueError(f"unknown provider error kind {kind!r}")
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.kind = kind


class Provider(ABC):
    """Translates batches of texts. `characters_billed` adds up what the provider counted."""

    name: str

    def __init__(self) -> None:
        self.characters_billed = 0

    @abstractmethod
    def translate(
        self,
        texts: Sequence[str],
        source_lang: str,
        target_lang: str,
        *,
        html: bool,
        glossary: Glossary | None,
        formality: str | None,
    ) -> list[str]:
        """One translation per text, in order. Raises ProviderError."""

    def memory_label(self, formality: str | None) -> str:
        """The provider part of a translation-memory key: options that change the output belong in it."""
        return self.name if not formality or formality == "default" else f"{self.name}+formality={formality}"

    def close(self) -> None:  # noqa: B027 - optional hook, most providers hold connections
        """Release connections; the default has none."""
