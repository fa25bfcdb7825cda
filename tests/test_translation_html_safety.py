"""HTML safety: protection of untranslatable text and the tag-skeleton check."""

from __future__ import annotations

import pytest

from connector.translation.html_safety import (
    UnsafeTranslation,
    check_skeleton,
    protect,
    protected_spans,
    restore,
    tag_skeleton,
    text_content,
    verify,
)

SOURCE = (
    '<div class="fiche" style="margin: 0 auto; color:#333">'
    "<h2>Cr&egrave;me de jour &amp; de nuit</h2>"
    "<p>Une cr&egrave;me <strong>l&eacute;g&egrave;re</strong> de <em>Maison Lumière</em>, flacon de 250&nbsp;ml, "
    "format 3 x 20 cm, prix 49,90 € (réf. LM-2041-XL).</p>"
    "<ul><li>Peau <b>sèche</b><ul><li>matin</li><li>soir</li></ul></li>"
    '<li>Voir <a href="https://exemple.fr/creme?ref=LM-2041&amp;lang=fr" title="Notre crème">la fiche</a></li></ul>'
    '<img src="/media/creme.jpg" alt="Pot de crème" width="300"><br>'
    "</div>"
)
TERMS = ("Maison Lumière",)


def _fake_translation(markup: str) -> str:
    """What a well-behaved provider does: changes the words, keeps every tag and kept span."""
    return (
        markup.replace("Cr&egrave;me de jour &amp; de nuit", "Tages- &amp; Nachtcreme")
        .replace("Une cr&egrave;me", "Eine Creme")
        .replace("l&eacute;g&egrave;re", "leichte")
        .replace("Peau", "Haut")
        .replace("matin", "morgens")
        .replace("soir", "abends")
        .replace("la fiche", "das Datenblatt")
    )


@pytest.mark.parametrize(
    "text, kept",
    [
        ("flacon de 250 ml.", "250 ml"),
        ("flacon de 250&nbsp;ml.", "250&nbsp;ml"),
        ("format 3 x 20 cm, léger", "3 x 20 cm"),
        ("seulement 49,90 € !", "49,90 €"),
        ("seulement 49,90&nbsp;&euro; !", "49,90&nbsp;&euro;"),
        ("only $19.99 today", "$19.99"),
        ("voir https://exemple.fr/p?id=3&amp;x=1.", "https://exemple.fr/p?id=3&amp;x=1"),
        ("réf. LM-2041-XL disponible", "LM-2041-XL"),
        ("modèle CR250 en stock", "CR250"),
        ("écrivez à contact@exemple.fr", "contact@exemple.fr"),
        ("la gamme Maison Lumi&egrave;re", "Maison Lumi&egrave;re"),
    ],
)
def test_protected_spans_find_urls_skus_units_and_terms(text: str, kept: str) -> None:
    spans = [text[start:end] for start, end in protected_spans(text, TERMS)]
    assert spans == [kept]


def test_plain_words_and_numbers_without_units_are_not_protected() -> None:
    assert protected_spans("Une crème douce, 3 fois par jour, depuis 1998.", TERMS) == []


def test_protect_wraps_each_item_and_restore_gives_back_the_exact_source() -> None:
    protected = protect(SOURCE, is_html=True, terms=TERMS)
    assert protected.kept == (
        "Maison Lumière",
        "250&nbsp;ml",
        "3 x 20 cm",
        "49,90 €",
        "LM-2041-XL",
    )
    assert '<span translate="no" data-connector-keep="1">250&nbsp;ml</span>' in protected.markup
    # the URL inside href is an attribute, not text: it is left alone (the skeleton check guards it)
    assert 'href="https://exemple.fr/creme?ref=LM-2041&amp;lang=fr"' in protected.markup
    assert restore(protected, protected.markup) == SOURCE


def test_a_faithful_translation_of_nested_lists_links_images_and_entities_passes() -> None:
    protected = protect(SOURCE, is_html=True, terms=TERMS)
    answer = _fake_translation(protected.markup).replace('alt="Pot de crème"', 'alt="Cremetiegel"')
    translated = restore(protected, answer)
    verify(SOURCE, translated, is_html=True, terms=TERMS)
    assert 'alt="Cremetiegel"' in translated
    assert "250&nbsp;ml" in translated and "<em>Maison Lumière</em>" in translated
    assert 'style="margin: 0 auto; color:#333"' in translated
    assert [str(token) for token in tag_skeleton(translated)][:3] == [
        '<div class="fiche" style="margin: 0 auto; color:#333">',
        "<h2>",
        "</h2>",
    ]


def test_restore_puts_back_a_kept_span_whose_inside_the_provider_changed() -> None:
    protected = protect("<p>Flacon de 250&nbsp;ml.</p>", is_html=True)
    answer = protected.markup.replace(">250&nbsp;ml<", ">250 Milliliter<").replace("Flacon de", "Flasche mit")
    assert restore(protected, answer) == "<p>Flasche mit 250&nbsp;ml.</p>"


@pytest.mark.parametrize(
    "damage, reason",
    [
        (
            lambda t: t.replace("<strong>", "").replace("</strong>", ""),
            "tag <strong> (tag 5 of the source) is missing",
        ),
        (lambda t: t.replace("<b>", "<i>").replace("</b>", "</i>"), "tag <b> is replaced by <i>"),
        (lambda t: t.replace("<br>", "<br><br>"), "adds tag <br>"),
        (lambda t: t.replace("color:#333", "color:red"), "attribute 'style' of <div> changed from"),
        (lambda t: t.replace('width="300"', 'width="600"'), "attribute 'width' of <img> changed"),
        (lambda t: t.replace(' alt="Pot de crème"', ""), "attribute 'alt' of <img"),
        (lambda t: t.replace("lang=fr", "lang=de"), "attribute 'href' of <a> changed"),
        (lambda t: t.replace("</li><li>abends", "<li>abends"), "tag </li> (tag 16 of the source) is missing"),
    ],
)
def test_a_translation_that_breaks_the_skeleton_is_rejected_with_the_tag_named(damage, reason: str) -> None:
    translated = damage(_fake_translation(SOURCE))
    with pytest.raises(UnsafeTranslation) as raised:
        check_skeleton(SOURCE, translated)
    assert reason in raised.value.reason


def test_an_answer_that_drops_a_kept_span_is_rejected_naming_the_text() -> None:
    protected = protect(SOURCE, is_html=True, terms=TERMS)
    answer = protected.markup.replace(
        '<span translate="no" data-connector-keep="3">49,90 €</span>', "49.90 EUR"
    )
    with pytest.raises(UnsafeTranslation, match="protected text '49,90 €' is missing"):
        restore(protected, answer)


def test_an_answer_that_repeats_a_kept_span_is_rejected() -> None:
    protected = protect("<p>Réf. LM-2041-XL</p>", is_html=True)
    with pytest.raises(UnsafeTranslation, match="appears 2 times"):
        restore(protected, protected.markup + protected.markup)


def test_verify_catches_a_changed_sku_even_without_kept_spans() -> None:
    with pytest.raises(UnsafeTranslation, match="'LM-2041-XL' is missing"):
        verify(SOURCE, SOURCE.replace("LM-2041-XL", "LM-2041-L"), is_html=True, terms=TERMS)


def test_verify_rejects_an_empty_translation() -> None:
    with pytest.raises(UnsafeTranslation, match="empty"):
        verify("<p>Bonjour</p>", "<p> </p>", is_html=True)


def test_plain_text_is_escaped_for_sending_and_unescaped_on_return() -> None:
    title = "Savon & huile <3 — lot de 2 x 100 g"
    protected = protect(title, is_html=False)
    assert protected.markup.startswith("Savon &amp; huile &lt;3")
    assert protected.kept == ("2 x 100 g",)
    answer = protected.markup.replace("Savon &amp; huile", "Seife &amp; Öl")
    assert restore(protected, answer) == "Seife & Öl <3 — lot de 2 x 100 g"


def test_plain_text_that_comes_back_with_markup_is_rejected() -> None:
    protected = protect("Savon doux", is_html=False)
    with pytest.raises(UnsafeTranslation, match="plain-text field contains markup <b>"):
        restore(protected, "<b>Sanfte</b> Seife")


def test_text_inside_style_and_script_is_not_wrapped() -> None:
    source = "<style>.a{width:20 cm}</style><p>20 cm</p>"
    protected = protect(source, is_html=True)
    assert protected.markup.startswith("<style>.a{width:20 cm}</style>")
    assert protected.kept == ("20 cm",)


def test_text_content_decodes_entities_and_drops_tags() -> None:
    assert text_content("<p>Cr&egrave;me&nbsp;<b>douce</b> &amp; pure</p>") == "Crème douce & pure"


@pytest.mark.parametrize(
    "markup",
    [
        SOURCE,
        "a < b &amp; c > d",
        "<!-- note --><p>x<br/>y</p><p/>",
        "<p>texte &eacute;crit\n<em>sur</em>\ndeux lignes</p>",
        "<script>if (a < b) { x = '<p>'; }</script><p>ok</p>",
        "<p>pas fermé <b",
    ],
)
def test_one_tokenizer_cuts_markup_into_pieces_that_give_it_back(markup: str) -> None:
    from connector.translation.html_safety import tokens

    pieces = tokens(markup)
    assert "".join(piece.raw for piece in pieces) == markup
    assert [(p.kind, p.tag) for p in pieces if p.kind in ("start", "end", "void")] == [
        (t.kind, t.tag) for t in tag_skeleton(markup)
    ]
    # what protect leaves outside its kept spans is the markup's own tags, in the same order
    protected = protect(markup, is_html=True)
    kept_tags = [t for t in tag_skeleton(protected.markup) if t.tag != "span" or t.kind == "void"]
    assert [t.signature for t in kept_tags] == [t.signature for t in tag_skeleton(markup) if t.tag != "span"]
    assert restore(protected, protected.markup) == markup
