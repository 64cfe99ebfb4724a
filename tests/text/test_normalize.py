import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsspider.text.normalize import normalize_inline, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # NFD (macOS, NCR-built text) composes to NFC.
        (unicodedata.normalize("NFD", "Việt Nam"), "Việt Nam"),
        # "Unicode tổ hợp": precomposed ê + combining acute.
        ("Ti\u00ea\u0301ng Vi\u00ea\u0323t", "Tiếng Việt"),
        # Non-canonical mark order: e + circumflex + dot below.
        ("Vi\u0065\u0302\u0323t", "Việt"),
        # Zero-width space, BOM mid-text, soft hyphen, ZWJ/ZWNJ, word joiner.
        ("Bắc\u200b Giang\ufeff tỉnh\u00adnhà \u200c\u200d\u2060x", "Bắc Giang tỉnhnhà x"),
        # A zero-width char between a letter and its mark must not block composition.
        ("e\u200b\u0301", "é"),
        # Eth look-alikes.
        ("\u00d0ại hội \u00f0ảng", "Đại hội đảng"),
        # NBSP, narrow NBSP, em space, ideographic space, tab.
        ("Bắc\u00a0Giang\u202fngày\u2003 24\u3000tháng\t8", "Bắc Giang ngày 24 tháng 8"),
        # Double-escaped NCR from an old CMS.
        ("B&amp;#7855;c Giang", "Bắc Giang"),
        ("B&#7855;c Giang", "Bắc Giang"),
        ("Qu&#x1ea3;ng&nbsp;Ninh", "Quảng Ninh"),
        # Escaped markup becomes literal text and stays text.
        ("&lt;b&gt;", "<b>"),
        ("&amp;lt;b&amp;gt;", "<b>"),
        # A bare ampersand is not an entity.
        ("AT&T & Co", "AT&T & Co"),
        # Tone placement is the author's: both styles stay as written.
        ("hoà thuỷ khoẻ Uỷ", "hoà thuỷ khoẻ Uỷ"),
        ("hòa thủy khỏe Ủy", "hòa thủy khỏe Ủy"),
        # Quotes and NFKC-only forms untouched.
        ("“Tin mới” ‘x’ «y» m² …", "“Tin mới” ‘x’ «y» m² …"),
        # Whitespace: runs collapse, lines are stripped, paragraphs keep one blank line.
        ("  a   b  \n  c  ", "a b\nc"),
        ("Đoạn 1.\n\nĐoạn 2.", "Đoạn 1.\n\nĐoạn 2."),
        ("Đoạn 1.\n \n\u00a0\n\n\nĐoạn 2.", "Đoạn 1.\n\nĐoạn 2."),
        ("dòng 1\r\ndòng 2\r\n\r\ndòng 3\u2028dòng 4", "dòng 1\ndòng 2\n\ndòng 3\ndòng 4"),
        ("\n\n  \u200b\n", ""),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_nfd_input_becomes_nfc() -> None:
    raw = unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Bắc Giang")
    out = normalize_text(raw)
    assert out == "Ủy ban nhân dân tỉnh Bắc Giang"
    assert unicodedata.is_normalized("NFC", out)


def test_entities_unescaped_at_most_twice() -> None:
    # Three levels of escaping: two are peeled, the third is left as text.
    assert normalize_text("&amp;amp;lt;") == "&lt;"


@pytest.mark.parametrize("raw", ["&amp;#7855;", "&amp;lt;b&amp;gt;", "&lt;p&gt; &amp;nbsp;"])
def test_idempotent_on_double_escaped(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_entity_hidden_by_invisible_char_is_found() -> None:
    # Deleting U+200B joins "&am" + "p;": decode in the same call, not the next.
    assert normalize_text("&am\u200bp;lt;") == "<"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Bắc Giang:\n  khai mạc\n\nĐại hội  ", "Bắc Giang: khai mạc Đại hội"),
        ("Tiêu\u00a0đề\r\nhai dòng", "Tiêu đề hai dòng"),
        ("B&amp;#7855;c\tGiang", "Bắc Giang"),
        ("", ""),
    ],
)
def test_normalize_inline(raw: str, expected: str) -> None:
    assert normalize_inline(raw) == expected


@given(st.text())
def test_normalize_text_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


# Dense in the characters the function rewrites.  No "&": a third level of entity
# escaping is by design peeled by the next call (see test above).
TRICKY = "aeé\u0301\u0323\u0302 \n\t\u00a0\u200b\u00ad\r\u2028\u00d0"


@given(st.text(alphabet=st.sampled_from(TRICKY)))
def test_normalize_text_idempotent_on_tricky_alphabet(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\n\n\n" not in once


@given(st.text())
def test_normalize_inline_is_one_line_and_idempotent(s: str) -> None:
    once = normalize_inline(s)
    assert "\n" not in once
    assert "  " not in once
    assert normalize_inline(once) == once
