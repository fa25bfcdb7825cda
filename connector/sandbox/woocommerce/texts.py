"""How WordPress renders product texts in `context=view` (recorded samples 50b, 50c).

The products controller of wc/v3 answers `wpautop(do_shortcode(description))` and the
`woocommerce_short_description` filter of the short description (wptexturize, then wpautop) in the
default `view` context, and the stored text in `edit`:
https://github.com/woocommerce/woocommerce/blob/trunk/plugins/woocommerce/includes/rest-api/Controllers/Version3/class-wc-rest-products-controller.php
(`get_product_data`). Variation descriptions go through `wc_format_content` in every context.

This is the simulator's own rendering of the documented behaviour (paragraphs from blank lines, line
breaks, curly quotes, apostrophes, dashes, ellipses), enough to show a client the difference between
the rendered and the stored text; no shortcode is registered, so none is expanded.
"""

from __future__ import annotations

import re

_BLOCK = (
    "address|article|aside|blockquote|caption|col|colgroup|dd|details|div|dl|dt|fieldset|figcaption|figure|"
    "footer|form|h[1-6]|header|hgroup|hr|legend|li|map|math|menu|nav|ol|p|pre|section|style|summary|table|"
    "tbody|td|tfoot|th|thead|tr|ul"
)
_BLOCK_OPEN = re.compile(rf"(<(?:{_BLOCK})(?=[\s/>]))", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(rf"(</(?:{_BLOCK})>)", re.IGNORECASE)
_STARTS_BLOCK = re.compile(rf"^</?(?:{_BLOCK})(?=[\s/>])", re.IGNORECASE)
_RAW_ELEMENTS = ("pre", "code", "kbd", "style", "script", "tt")
_TAG_OR_TEXT = re.compile(r"(<!--.*?-->|<[^>]*>)", re.DOTALL)
_BARE_AMPERSAND = re.compile(r"&(?!#(?:\d+|x[a-f0-9]+);|[a-z1-4]{1,8};)", re.IGNORECASE)


def autop(text: str) -> str:
    """Paragraphs: blank lines separate <p> blocks, a single line break inside one becomes <br />; block-level
    elements are never wrapped."""
    if not text.strip():
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _BLOCK_CLOSE.sub(r"\1\n\n", _BLOCK_OPEN.sub(r"\n\n\1", text))
    out = []
    for chunk in (c.strip() for c in re.split(r"\n\s*\n", text)):
        if not chunk:
            continue
        if _STARTS_BLOCK.match(chunk):
            out.append(chunk)
        else:
            out.append("<p>" + re.sub(r"[ \t]*\n[ \t]*", "<br />\n", chunk) + "</p>")
    return "\n".join(out) + "\n"


def texturize(text: str) -> str:
    """Typographic characters in the text between tags (never inside tags, nor inside pre, code, kbd,
    style, script, tt): apostrophes and quotes made curly, -- and --- made dashes, ... an ellipsis."""
    pieces = _TAG_OR_TEXT.split(text)
    raw_depth = 0
    for index, piece in enumerate(pieces):
        if not piece:
            continue
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and name.group(1).lower() in _RAW_ELEMENTS:
                raw_depth += -1 if piece.startswith("</") else 1
                raw_depth = max(raw_depth, 0)
            continue
        if raw_depth == 0:
            pieces[index] = _texturize_text(piece)
    return "".join(pieces)


def _texturize_text(text: str) -> str:
    for plain, fancy in (("...", "&#8230;"), ("``", "&#8220;"), ("''", "&#8221;"), (" (tm)", " &#8482;")):
        text = text.replace(plain, fancy)
    text = re.sub(r"(?<=\w)'(?=\w)", "&#8217;", text)  # an apostrophe inside a word
    text = re.sub(r"(?:(?<=^)|(?<=[\s(\[{\"-]))'", "&#8216;", text)  # an opening single quote
    text = text.replace("'", "&#8217;")
    text = re.sub(r"(?:(?<=^)|(?<=[\s(\[{-]))\"(?!\s)", "&#8220;", text)  # an opening double quote
    text = text.replace('"', "&#8221;")
    text = text.replace("---", "&#8212;")
    text = re.sub(r"(?:(?<=^)|(?<=\s))--(?=$|\s)", "&#8212;", text)
    text = text.replace("--", "&#8211;")
    text = re.sub(r"(?:(?<=^)|(?<=\s))-(?=$|\s)", "&#8211;", text)
    text = re.sub(r"\b(\d[\d.,]*)x(\d[\d.,]*)\b", r"\1&#215;\2", text)
    return _BARE_AMPERSAND.sub("&#038;", text)


def short_description(text: str) -> str:
    """The `woocommerce_short_description` filter as WordPress sets it up: texturized, then paragraphs."""
    return autop(texturize(text))
