"""Keep HTML and untranslatable text intact through machine translation, and prove it afterwards.

Before sending, `protect` wraps every URL, e-mail address, SKU-like code, number with a unit
("250 ml", "3 x 20 cm", "49,90 €") and do-not-translate term of each text run in
`<span translate="no" data-connector-keep="N">…</span>`. DeepL (tag_handling=html) and LibreTranslate
(format=html) both leave such elements untranslated. Plain-text fields are HTML-escaped and sent the
same way, so one path serves titles and descriptions.

After translation, `restore` puts the original text back in place of each kept span (so a provider
that touched the inside of one still yields the exact original) and rejects an answer in which a
kept span is missing, duplicated or damaged. `check_skeleton` then compares the tag sequence of the
source and of the result: same tags, same nesting and order, same attributes with the same values,
except the values of attributes people read (alt, title, …), which may be translated.
Every failure raises `UnsafeTranslation` with a reason naming the tag or the text.

One tokenizer serves all of it: `tokens()` cuts markup into its pieces (text runs, tags, comments) with
Python's HTML parser, each with its exact source text, so protecting, restoring and the skeleton check see
the same tags.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

KEEP_ATTRIBUTE = "data-connector-keep"
TRANSLATABLE_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "aria-description"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_RAW_TEXT_ELEMENTS = ("script", "style")


class UnsafeTranslation(ValueError):
    """A translation that would break the HTML or change protected text; `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- what is protected -------------------------------------------------------------------------

_SPACE = r"[ \u00a0\u202f]"
_NUMBER = r"\d+(?:[.,]\d+)*"
_CURRENCY = r"(?:€|\$|£|¥)"
_UNIT = (
    r"(?:ml|cl|dl|l|L|mg|g|kg|mm|cm|m|km|m²|m2|m³|m3|in|ft|oz|fl\.?" + _SPACE + r"?oz|lb|lbs|"
    r"W|kW|V|mAh|Wh|kWh|Hz|°C|°F|%|EUR|USD|GBP|CHF|" + _CURRENCY[3:-1] + r")"
)
_PROTECTED_PATTERNS = (
    # URLs and e-mail addresses, trailing sentence punctuation excluded
    r"(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)]",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
    # numbers with units, dimensions ("3 x 20 cm") and prices written either way round
    rf"(?<![\w.,]){_NUMBER}(?:{_SPACE}?[x×]{_SPACE}?{_NUMBER})*{_SPACE}?{_UNIT}(?![\w])",
    rf"(?<![\w]){_CURRENCY}{_SPACE}?{_NUMBER}(?![\w])",
    # SKU-like codes: upper-case letters and digits joined by hyphens, or letters followed by digits
    r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)+(?![\w-])",
    r"(?<![\w-])[A-Z]{2,}\d{2,}[A-Z0-9]*(?![\w-])",
)
_PROTECTED_RE = re.compile("|".join(f"(?:{pattern})" for pattern in _PROTECTED_PATTERNS))


_ENTITY_RE = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def _decode_with_offsets(raw_text: str) -> tuple[str, list[int]]:
    """raw_text with entities decoded, and for each decoded character the raw offset it starts at."""
    decoded: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _ENTITY_RE.finditer(raw_text):
        for offset in range(position, match.start()):
            decoded.append(raw_text[offset])
            offsets.append(offset)
        for character in html.unescape(match.group()):
            decoded.append(character)
            offsets.append(match.start())
        position = match.end()
    for offset in range(position, len(raw_text)):
        decoded.append(raw_text[offset])
        offsets.append(offset)
    offsets.append(len(raw_text))
    return "".join(decoded), offsets


def protected_spans(raw_text: str, terms: Iterable[str] = ()) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) spans of raw_text to keep verbatim, longest first on overlap.

    Matching runs on the decoded text, so "Cr&egrave;me" matches the term "Crème" and "250&nbsp;ml"
    is a number with a unit; the spans returned are offsets into raw_text.
    """
    decoded, offsets = _decode_with_offsets(raw_text)
    candidates = [match.span() for match in _PROTECTED_RE.finditer(decoded)]
    for term in terms:
        pattern = rf"(?<!\w){re.escape(term)}(?!\w)"
        candidates.extend(match.span() for match in re.finditer(pattern, decoded))
    candidates.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    chosen: list[tuple[int, int]] = []
    for start, end in candidates:
        if end > start and (not chosen or start >= chosen[-1][1]):
            chosen.append((start, end))
    return [(offsets[start], offsets[end]) for start, end in chosen]


# --- protecting and restoring -----------------------------------------------------------------

@dataclass(frozen=True)
class ProtectedText:
    """What to send to a provider (always HTML) and the original text of each kept span."""

    markup: str
    kept: tuple[str, ...]
    is_html: bool


def protect(source: str, *, is_html: bool, terms: Sequence[str] = ()) -> ProtectedText:
    markup = source if is_html else html.escape(source, quote=False)
    pieces: list[str] = []
    kept: list[str] = []
    inside_raw_text = False
    for piece in tokens(markup):
        if piece.tag in _RAW_TEXT_ELEMENTS:
            inside_raw_text = piece.kind == "start"
        if piece.kind != "text" or inside_raw_text:
            pieces.append(piece.raw)
            continue
        raw, position = piece.raw, 0
        for start, end in protected_spans(raw, terms):
            pieces.append(raw[position:start])
            pieces.append(f'<span translate="no" {KEEP_ATTRIBUTE}="{len(kept)}">{raw[start:end]}</span>')
            kept.append(raw[start:end])
            position = end
        pieces.append(raw[position:])
    return ProtectedText("".join(pieces), tuple(kept), is_html)


def restore(protected: ProtectedText, translated: str) -> str:
    """The provider's answer with each kept span replaced by its original text.

    Raises UnsafeTranslation when a kept span is missing, repeated or damaged, or when a plain-text
    field comes back with markup in it. Returns HTML for HTML fields and plain text otherwise.
    """
    seen: Counter[int] = Counter()
    pieces = tokens(translated)
    restored: list[str] = []
    position = 0
    while position < len(pieces):
        piece = pieces[position]
        keep = dict(piece.attrs).get(KEEP_ATTRIBUTE) if (piece.kind, piece.tag) == ("start", "span") else None
        if keep is None:
            restored.append(piece.raw)
            position += 1
            continue
        position = _after_span(pieces, position)
        index = int(keep) if keep.isdigit() else len(protected.kept)
        if index >= len(protected.kept):
            raise UnsafeTranslation(f"the translation contains an unknown protected span ({keep})")
        seen[index] += 1
        restored.append(protected.kept[index])
    text = "".join(restored)
    for index, kept in enumerate(protected.kept):
        if seen[index] == 0:
            raise UnsafeTranslation(f"protected text {_readable(kept)!r} is missing from the translation")
        if seen[index] > 1:
            raise UnsafeTranslation(f"protected text {_readable(kept)!r} appears {seen[index]} times")
    if KEEP_ATTRIBUTE in text:
        raise UnsafeTranslation("a protected span came back damaged")
    if protected.is_html:
        return text
    extra_tags = tag_skeleton(text)
    if extra_tags:
        raise UnsafeTranslation(f"the translation of a plain-text field contains markup {extra_tags[0]}")
    return html.unescape(text)


def _after_span(pieces: tuple[Piece, ...], start: int) -> int:
    """The position after the end tag closing the span opened at `start` (spans inside it included)."""
    depth = 0
    for position in range(start, len(pieces)):
        piece = pieces[position]
        if piece.tag == "span" and piece.kind in ("start", "end"):
            depth += 1 if piece.kind == "start" else -1
            if depth == 0:
                return position + 1
    raise UnsafeTranslation("a protected span came back damaged")


def _readable(raw: str) -> str:
    return html.unescape(raw).replace("\u00a0", " ")


# --- the tag skeleton ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TagToken:
    kind: str  # "start", "end" or "void"
    tag: str
    attrs: tuple[tuple[str, str | None], ...] = ()

    @property
    def signature(self) -> tuple[str, str, tuple[tuple[str, str | None], ...]]:
        """What must match between source and translation: readable attribute values may differ."""
        masked = tuple(
            (name, None if name in TRANSLATABLE_ATTRIBUTES else value) for name, value in self.attrs
        )
        return (self.kind, self.tag, masked)

    def __str__(self) -> str:
        if self.kind == "end":
            return f"</{self.tag}>"
        rendered = "".join(
            f" {name}" if value is None else f' {name}="{html.escape(value)}"' for name, value in self.attrs
        )
        return f"<{self.tag}{rendered}>"


@dataclass(frozen=True)
class Piece:
    """One piece of markup and its exact source text: a text run, a tag, or something else (a comment, a
    declaration, the end tag of a void element)."""

    kind: str  # "text", "start", "end", "void" or "other"
    raw: str
    tag: str = ""
    attrs: tuple[tuple[str, str | None], ...] = ()


class _Tokenizer(HTMLParser):
    """Python's HTML parser, recording where each piece starts; entities are left as written."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", markup))]
        self.starts: list[tuple[int, str, str, tuple[tuple[str, str | None], ...]]] = []

    def _piece(self, kind: str, tag: str = "", attrs: list[tuple[str, str | None]] | None = None) -> None:
        line, column = self.getpos()  # where the construct being handled begins
        self.starts.append((self._line_starts[line - 1] + column, kind, tag, tuple(sorted(attrs or ()))))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._piece("void" if tag in VOID_ELEMENTS else "start", tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:  # <p/> opens and closes
            self._piece("end", tag)

    def handle_endtag(self, tag: str) -> None:
        self._piece("other" if tag in VOID_ELEMENTS else "end", tag)

    def handle_data(self, data: str) -> None:
        self._piece("text")

    def handle_entityref(self, name: str) -> None:
        self._piece("text")

    def handle_charref(self, name: str) -> None:
        self._piece("text")

    def handle_comment(self, data: str) -> None:
        self._piece("other")

    def handle_decl(self, decl: str) -> None:
        self._piece("other")

    def handle_pi(self, data: str) -> None:
        self._piece("other")

    def unknown_decl(self, data: str) -> None:
        self._piece("other")


@functools.lru_cache(maxsize=4096)
def tokens(markup: str) -> tuple[Piece, ...]:
    """The pieces of markup in order; their raw texts joined give the markup back. Adjacent text (entities
    included) is one run. Cached: a source is checked once per language."""
    tokenizer = _Tokenizer(markup)
    tokenizer.feed(markup)
    tokenizer.close()
    starts = tokenizer.starts
    pieces: list[Piece] = []
    for number, (start, kind, tag, attrs) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(markup)
        raw = markup[start:end]
        if kind == "text" and pieces and pieces[-1].kind == "text":
            pieces[-1] = Piece("text", pieces[-1].raw + raw)
        else:
            pieces.append(Piece(kind, raw, tag, attrs))
    return tuple(pieces)


def tag_skeleton(markup: str) -> list[TagToken]:
    """The tags of markup in order (a self-closing non-void tag as a start and an end)."""
    return [TagToken(p.kind, p.tag, p.attrs) for p in tokens(markup) if p.kind in ("start", "end", "void")]


def text_content(markup: str) -> str:
    """The readable text of an HTML fragment, entities decoded, tags dropped, whitespace collapsed."""
    return " ".join(" ".join(html.unescape(p.raw) for p in tokens(markup) if p.kind == "text").split())


def check_skeleton(source: str, translated: str) -> None:
    """Raise UnsafeTranslation naming the first tag or attribute that differs between the two."""
    expected = tag_skeleton(source)
    actual = tag_skeleton(translated)
    if [token.signature for token in expected] == [token.signature for token in actual]:
        return
    matcher = difflib.SequenceMatcher(
        None, [token.signature for token in expected], [token.signature for token in actual], autojunk=False
    )
    for operation, i1, _i2, j1, _j2 in matcher.get_opcodes():
        if operation == "equal":
            continue
        if operation == "delete":
            raise UnsafeTranslation(f"tag {expected[i1]} (tag {i1 + 1} of the source) is missing")
        if operation == "insert":
            raise UnsafeTranslation(f"the translation adds tag {actual[j1]} that the source does not have")
        source_token, translated_token = expected[i1], actual[j1]
        if (source_token.kind, source_token.tag) == (translated_token.kind, translated_token.tag):
            raise UnsafeTranslation(_attribute_difference(source_token, translated_token))
        raise UnsafeTranslation(f"tag {source_token} is replaced by {translated_token}")


def _attribute_difference(source: TagToken, translated: TagToken) -> str:
    source_attrs, translated_attrs = dict(source.attrs), dict(translated.attrs)
    for name, value in source_attrs.items():
        if name not in translated_attrs:
            return f"attribute {name!r} of {source} is missing"
        if name not in TRANSLATABLE_ATTRIBUTES and translated_attrs[name] != value:
            return (
                f"attribute {name!r} of <{source.tag}> changed from {value!r} to {translated_attrs[name]!r}"
            )
    added = sorted(set(translated_attrs) - set(source_attrs))
    return f"attribute {added[0]!r} added to {source}" if added else f"tag {source} changed"


def check_protected_text(source: str, translated: str, *, terms: Sequence[str] = ()) -> None:
    """Every protected item of the source (URL, SKU, number with unit, term) is in the translation."""
    source_text, translated_text = _normalised_text(source), _normalised_text(translated)
    wanted = Counter(source_text[start:end] for start, end in protected_spans(source_text, terms))
    for item, count in wanted.items():
        found = len(re.findall(rf"(?<!\w){re.escape(item)}(?!\w)", translated_text))
        if found < count:
            raise UnsafeTranslation(f"protected text {item!r} is missing from the translation")


def _normalised_text(markup: str) -> str:
    return text_content(markup).replace("\u00a0", " ").replace("\u202f", " ")


def verify(source: str, translated: str, *, is_html: bool, terms: Sequence[str] = ()) -> None:
    """All checks a machine translation must pass before it may be stored or pushed."""
    source_markup = source if is_html else html.escape(source, quote=False)
    translated_markup = translated if is_html else html.escape(translated, quote=False)
    if text_content(source_markup) and not text_content(translated_markup):
        raise UnsafeTranslation("the translation is empty")
    if is_html:
        check_skeleton(source, translated)
    check_protected_text(source_markup, translated_markup, terms=terms)
