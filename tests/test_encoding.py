"""Legacy Vietnamese encodings: windows-1258 without a declaration, TCVN3 and VNI font pages.

The legacy bytes are made here from Unicode text by encoders written in this file, from the
published layouts (not by inverting the module's tables), so a wrong table entry fails a test.
"""

from __future__ import annotations

import unicodedata

import pytest

from newsspider.encoding import decode_page, detect_legacy, tcvn3_to_unicode, vi_ratio, vni_to_unicode

TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # none, huyền, hỏi, ngã, sắc, nặng
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
# Every Vietnamese vowel with every tone, lower and upper case, and đ/Đ.
LOWER = [unicodedata.normalize("NFC", vowel + tone) for vowel in VOWELS for tone in TONES] + ["đ"]
EVERY_LETTER = LOWER + [letter.upper() for letter in LOWER]

TEXT = (
    "Sáng 24/8, tại thành phố Bắc Giang, Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác "
    "thủy lợi năm 2020. Đồng chí Chủ tịch đề nghị các huyện khẩn trương khắc phục hậu quả mưa lũ, "
    "bảo đảm đủ nước tưới cho vụ đông; người dân được hỗ trợ giống và phân bón."
)

# TCVN3 (VN3) byte of each lowercase letter, row by row as the standard lays them out: the seven
# modified letters, then each vowel's tones in the order huyền, hỏi, ngã, sắc, nặng.
_TCVN3_ROWS = {
    "ăâêôơưđ": (0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE),
    "ĂÂÊÔƠƯĐ": (0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7),
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9), "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB), "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6), "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4), "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE), "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9), "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}  # fmt: skip


def tcvn3_bytes(text: str) -> bytes:
    """Encode NFC text as TCVN3. Toned capitals do not exist: the lowercase code stands for them."""
    codes: dict[str, int] = {}
    for key, row in _TCVN3_ROWS.items():
        if len(key) > 1:
            codes.update(zip(key, row, strict=True))
        else:
            for tone, code in zip(TONES[1:], row, strict=True):
                codes[unicodedata.normalize("NFC", key + tone)] = code
    out = bytearray()
    for char in text:
        code = codes.get(char) or codes.get(char.lower()) if not char.isascii() else None
        out += bytes([code]) if code else char.encode("ascii")
    return bytes(out)


# VNI-Windows: tone marks after a vowel, the circumflex/breve forms, and the one-character letters.
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_HAT = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def vni_bytes(text: str) -> bytes:
    """Encode NFC text as VNI-Windows (each letter: base, then its marks as cp1252 letters)."""
    out = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        upper = char.isupper()
        base, *marks = unicodedata.normalize("NFD", char.lower())
        tone = next((mark for mark in marks if mark in _VNI_TONE), "")
        if char.lower() == "đ":
            piece = "ñ"
        elif "\u031b" in marks:  # horn: ơ ư are one character, the tone follows
            piece = {"o": "ô", "u": "ö"}[base] + _VNI_TONE.get(tone, "")
        elif "\u0302" in marks:
            piece = base + _VNI_HAT[tone]
        elif "\u0306" in marks:
            piece = base + _VNI_BREVE[tone]
        elif base == "i":
            piece = _VNI_I[tone]
        elif base == "y" and tone == "\u0323":
            piece = "î"
        else:
            piece = base + _VNI_TONE[tone]
        out.append(piece.upper() if upper else piece)
    return "".join(out).encode("cp1252")


def cp1258_bytes(text: str) -> bytes:
    """Encode NFC text as windows-1258 does: modified letters precomposed, tones as combining bytes."""
    out = bytearray()
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(mark for mark in decomposed if mark in "\u0300\u0301\u0303\u0309\u0323")
        rest = unicodedata.normalize("NFC", "".join(mark for mark in decomposed if mark not in tones))
        out += (rest + tones).encode("cp1258")
    return bytes(out)


def page(body: str, head: str = "", title: str = "Tin tức") -> str:
    return f"<html><head>{head}<title>{title}</title></head><body><p>{body}</p></body></html>"


def test_tcvn3_table_matches_the_published_codes() -> None:
    """Anchors from the research sample (`S¸ng … t¹i thµnh phè B¾c Giang`) and the 0xAD trap."""
    assert tcvn3_to_unicode("S¸ng 24/8, t¹i thµnh phè B¾c Giang, thñy lîi") == (
        "Sáng 24/8, tại thành phố Bắc Giang, thủy lợi"
    )
    assert tcvn3_to_unicode("\xad") == "ư"  # SHY is a letter in TCVN3


def test_vni_table_matches_the_published_codes() -> None:
    assert vni_to_unicode("Saùng 24/8, taïi thaønh phoá Baéc Giang, UÛy ban thuûy lôïi") == (
        "Sáng 24/8, tại thành phố Bắc Giang, Ủy ban thủy lợi"
    )


def test_tcvn3_round_trip_every_letter_with_every_tone() -> None:
    """All 134 letters come back; toned capitals (absent from TCVN3) come back lowercase."""
    text = " ".join(EVERY_LETTER)
    surface = tcvn3_bytes(text).decode("cp1252")
    back = tcvn3_to_unicode(surface).split(" ")
    for letter, converted in zip(EVERY_LETTER, back, strict=True):
        plain_capital = letter in "ĂÂÊÔƠƯĐ" or letter.isascii()
        assert converted == (letter if plain_capital else letter.lower()), letter


def test_vni_round_trip_every_letter_with_every_tone() -> None:
    text = " ".join(EVERY_LETTER)
    back = vni_to_unicode(vni_bytes(text).decode("cp1252")).split(" ")
    assert back == EVERY_LETTER


def test_vni_round_trip_of_running_text() -> None:
    assert vni_to_unicode(vni_bytes(TEXT).decode("cp1252")) == TEXT


def test_vi_ratio_tells_right_decodes_from_wrong_ones() -> None:
    assert vi_ratio(TEXT) > 0.3
    assert vi_ratio(unicodedata.normalize("NFD", TEXT)) == vi_ratio(TEXT)
    for wrong in (tcvn3_bytes(TEXT), vni_bytes(TEXT), cp1258_bytes(TEXT), TEXT.encode("utf-8")):
        assert vi_ratio(wrong.decode("cp1252", "replace")) < 0.01
    assert vi_ratio("plain English text") == 0.0


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (tcvn3_bytes(TEXT).decode("cp1252"), "", "tcvn3"),
        (tcvn3_bytes(TEXT).decode("cp1252"), '<font face=".VnTime">', "tcvn3"),
        (vni_bytes(TEXT).decode("cp1252"), "", "vni"),
        (vni_bytes(TEXT).decode("cp1252"), '<font face="VNI-Times">', "vni"),
        (TEXT, '<font face=".VnTime">', None),  # already Unicode: nothing to convert
        ("Nous sommes allés où l'hôtel naïf était, très élevé, déjà à la fenêtre, côté mer.", "", None),
        ("Grüße aus München: schöne Straßen, Bäume und Flüsse, über alle Maßen.", "", None),
    ],
)
def test_detect_legacy(text: str, hint: str, expected: str | None) -> None:
    assert detect_legacy(text, html_hint=hint) == expected


def test_font_hint_lowers_the_bar_for_a_short_text() -> None:
    short = tcvn3_bytes("Tin tức mới nhất hôm nay của tỉnh Bắc Giang").decode("cp1252") + " abc" * 50
    surface = " ".join(["word"] * 40) + " " + short
    assert detect_legacy(surface, html_hint='<font face=".VnTime">') == "tcvn3"


def test_undeclared_windows_1258_page_decodes_to_nfc() -> None:
    body = cp1258_bytes(page(TEXT))
    text, encoding = decode_page(body, None)
    assert encoding == "cp1258"
    assert TEXT in text
    assert unicodedata.is_normalized("NFC", text)


def test_windows_1258_page_with_a_wrong_latin1_header() -> None:
    """An HTTP charset=iso-8859-1 overriding a right <meta> (browser rule) must not win."""
    body = cp1258_bytes(page(TEXT, '<meta charset="windows-1258">'))
    text, encoding = decode_page(body, "iso-8859-1")
    assert (encoding, TEXT in text) == ("cp1258", True)


@pytest.mark.parametrize("declared", [None, "iso-8859-1", "windows-1252"])
def test_tcvn3_page_is_detected_and_converted(declared: str | None) -> None:
    body = tcvn3_bytes(page(TEXT, '<style>p { font-family: ".VnTime"; }</style>'))
    text, encoding = decode_page(body, declared)
    assert encoding == "tcvn3"
    assert TEXT.replace("Ủy", "ủy") in text  # TCVN3 has no toned capitals
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("declared", [None, "iso-8859-1"])
def test_vni_page_is_detected_and_converted(declared: str | None) -> None:
    body = vni_bytes(page(f'<font face="VNI-Times">{TEXT}</font>'))
    text, encoding = decode_page(body, declared)
    assert (encoding, TEXT in text) == ("vni", True)


def test_utf8_page_keeps_its_declared_encoding() -> None:
    body = page(TEXT, '<meta charset="utf-8">').encode("utf-8")
    assert decode_page(body, "utf-8") == (page(TEXT, '<meta charset="utf-8">'), "utf-8")
    assert decode_page(body, None)[1] == "utf-8"
    assert decode_page(unicodedata.normalize("NFD", TEXT).encode("utf-8"), "utf-8")[0] == TEXT


def test_utf8_page_misdeclared_as_windows_1252() -> None:
    body = page(TEXT).encode("utf-8")
    assert decode_page(body, "windows-1252") == (page(TEXT), "utf-8")


def test_page_that_is_not_vietnamese_keeps_its_decode() -> None:
    html = page("Café, crème brûlée and naïve façades.", title="Menu")
    body = html.encode("cp1252")
    assert decode_page(body, None) == (html, "cp1252")
    assert decode_page(body, "cp1252")[1] == "cp1252"


@pytest.mark.parametrize(
    ("body", "forced", "expected"),
    [
        (cp1258_bytes(page(TEXT)), "windows-1258", "cp1258"),
        (tcvn3_bytes(page("Tin tức")), "tcvn3", "tcvn3"),  # too short to detect: the site says so
        (vni_bytes(page("Tin tức")), "vni", "vni"),
        (page(TEXT).encode("utf-8"), "utf-8", "utf-8"),
    ],
)
def test_forced_encoding_of_a_site(body: bytes, forced: str, expected: str) -> None:
    text, encoding = decode_page(body, "iso-8859-1", forced=forced)
    assert encoding == expected
    assert "Tin tức" in text
