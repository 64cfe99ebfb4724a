"""Page bytes to text, including the legacy Vietnamese encodings browsers never detect.

Older provincial pages come in three shapes a byte-level decoder gets wrong
(``shared/research/vietnamese.md`` §2):

- **windows-1258**, often undeclared or declared wrongly: a real code page whose tones are
  *combining* bytes, so its decode must be composed to NFC;
- **TCVN3** (ABC, fonts ``.VnTime``/``.VnArial``) and **VNI** (fonts ``VNI-Times``…): font hacks
  over cp1252. The bytes decode "fine" as cp1252 or latin-1 — into ``S¸ng`` or ``Saùng`` — so they
  are recognised after decoding, from font names and character statistics, and converted by table
  from the cp1252 surface of the *raw bytes* (a detector may have picked iso8859-10 or cp1250).

A correct decode of Vietnamese is full of letters outside Latin-1 (``ạ ố ắ ư đ``); none of the
wrong ones can produce them. :func:`vi_ratio` measures that, and :func:`decode_page` keeps the
declared decode when it is high, and otherwise the candidate decode where it is highest.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

__all__ = [
    "clean_utf8",
    "decode_page",
    "detect_legacy",
    "is_utf8",
    "tcvn3_to_unicode",
    "vi_ratio",
    "vni_to_unicode",
]

# TCVN3 (TCVN 5712:1993 VN3, the ABC fonts): one byte per letter at 0xA1–0xFE, read here as the
# Latin-1 character of that byte. It has no toned capitals: headings use these lowercase codes in an
# upper-case font (.VnTimeH), so case is lost there.
_TCVN3 = dict(
    zip(
        "¡¢£¤¥¦§¨©ª«¬\xad®µ¶·¸¹»¼½¾ÆÇÈÉÊËÌÎÏÐÑÒÓÔÕÖ×ØÜÝÞßáâãäåæçèéêëìíîïñòóôõö÷øùúûüýþ",
        "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        strict=True,
    )
)
_FROM_TCVN3 = str.maketrans(_TCVN3)
# Latin-1 characters TCVN3 uses that are no letters in Latin-1: inside a word they give it away.
_TCVN3_SYMBOLS = "".join(char for char in _TCVN3 if not char.isalpha())

# VNI-Windows: a base letter plus a cp1252 "mark" character; ơ ư đ, the i vowels and ỵ are one
# character. Tone marks after a plain vowel, then after the circumflex (â ê ô) and breve (ă) bases.
_VNI_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_CIRCUMFLEX = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303", "ä": "\u0323"}
_VNI_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _vni_table() -> dict[str, str]:
    """Build the VNI → Unicode table, lower and upper case, from the mark rules above."""
    table: dict[str, str] = {}

    def add(sequence: str, letters: str) -> None:
        letter = unicodedata.normalize("NFC", letters)
        table[sequence] = letter
        table[sequence.upper()] = letter.upper()

    for base in "aeiouy":
        for mark, tone in _VNI_TONES.items():
            if base != "i":  # the i vowels are single characters
                add(base + mark, base + tone)
    for base, modifier in (("a", "\u0302"), ("e", "\u0302"), ("o", "\u0302")):
        for mark, tone in _VNI_CIRCUMFLEX.items():
            add(base + mark, base + modifier + tone)
    for mark, tone in _VNI_BREVE.items():
        add("a" + mark, "a\u0306" + tone)
    for single, letter in _VNI_SINGLE.items():
        add(single, letter)
    for base in "ôö":  # ơ, ư with a tone
        for mark, tone in _VNI_TONES.items():
            add(base + mark, _VNI_SINGLE[base] + tone)
    table["yï"], table["YÏ"] = "ỵ", "Ỵ"  # some fonts write ỵ as y + dot, like the other vowels
    return table


_VNI = _vni_table()
_VNI_SEQUENCE = re.compile("|".join(sorted(map(re.escape, _VNI), key=len, reverse=True)))
_VNI_PAIR = re.compile(r"[aeouyAEOUYôöÔÖ][ùøûõïâáàåãäêéèúüëÙØÛÕÏÂÁÀÅÃÄÊÉÈÚÜË]")

_VIETNAMESE = re.compile("[\u1ea0-\u1ef9ăđĩũơưĂĐĨŨƠƯ]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")
_TOKEN = re.compile(r"[^\s<>\"'=/]+")
_LETTER = re.compile(r"[^\W\d_]")
_TCVN3_FONT = re.compile(r"\.Vn[A-Z][A-Za-z]*|\bface=[\"']?ABC", re.IGNORECASE)
_VNI_FONT = re.compile(r"\bVNI[- ][A-Z][A-Za-z]*", re.IGNORECASE)
_VIETNAMESE_ENOUGH = 0.1  # share of non-ASCII letters; correct Vietnamese is well above (~0.4)
# Share of words with a non-ASCII letter that must carry a legacy mark, without / with a font hint.
# A TCVN3 code that is no letter (``¸ µ ¹ ®``) inside a word occurs in no European language; VNI
# marks are Latin-1 letters that French and German also put after vowels (``où``, ``hôtel``,
# ``naïf``), but in a few words only, never in most.
_TCVN3_SHARE, _VNI_SHARE, _HINTED_SHARE = 0.2, 0.5, 0.05
_LEGACY_MIN_WORDS = 3
# cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; latin-1 keeps them as C1 controls.
_CP1252_C1 = {byte: char for byte in range(0x80, 0xA0) if (char := bytes([byte]).decode("cp1252", "ignore"))}


def vi_ratio(text: str) -> float:
    """Return the share of non-ASCII letters that are Vietnamese letters outside Latin-1.

    Counting over non-ASCII letters (not all letters) keeps markup and English from diluting it.
    A right decode of Vietnamese scores ~0.3–0.6; every wrong one (cp1252, latin-1, TCVN3 and VNI
    surfaces, UTF-8 read as Latin-1) scores ~0, because they can only produce Latin-1 letters.
    """
    text = unicodedata.normalize("NFC", text)
    letters = len(_NON_ASCII_LETTER.findall(text))
    return len(_VIETNAMESE.findall(text)) / letters if letters else 0.0


def detect_legacy(text: str, html_hint: str = "") -> str | None:
    """Return "tcvn3" or "vni" when ``text`` is such a surface read as cp1252/latin-1, else None.

    ``html_hint`` is markup or CSS to search for the fonts those pages name (``.VnTime``, ``ABC``,
    ``VNI-Times``); a hint lowers the share of marked words needed, it never suffices alone.
    """
    if vi_ratio(text) >= _VIETNAMESE_ENOUGH:
        return None
    words = [word for word in _TOKEN.findall(text) if not word.isascii() and _LETTER.search(word)]
    if len(words) < _LEGACY_MIN_WORDS:
        return None
    tcvn3 = sum(1 for word in words if _has_tcvn3_symbol(word)) / len(words)
    vni = sum(1 for word in words if _VNI_PAIR.search(word)) / len(words)
    hint = html_hint or text
    if tcvn3 >= (_HINTED_SHARE if _TCVN3_FONT.search(hint) else _TCVN3_SHARE):
        return "tcvn3"
    if vni >= (_HINTED_SHARE if _VNI_FONT.search(hint) else _VNI_SHARE):
        return "vni"
    return None


def tcvn3_to_unicode(text: str) -> str:
    """Convert a TCVN3 surface (its bytes read as cp1252/latin-1) to Unicode NFC."""
    return unicodedata.normalize("NFC", text.translate(_FROM_TCVN3))


def vni_to_unicode(text: str) -> str:
    """Convert a VNI surface (its bytes read as cp1252/latin-1) to Unicode NFC, longest match first."""
    return unicodedata.normalize("NFC", _VNI_SEQUENCE.sub(lambda match: _VNI[match.group()], text))


def is_utf8(encoding: str | None) -> bool:
    """Return True for a name of UTF-8 (``utf-8``, ``UTF8``, ``utf-8-sig``, …)."""
    return (encoding or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def clean_utf8(body: bytes, declared_encoding: str | None) -> bool:
    """Return True for a page declared UTF-8 that is strictly UTF-8: nearly every page, read as is."""
    if not is_utf8(declared_encoding):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_page(body: bytes, declared_encoding: str | None, forced: str | None = None) -> tuple[str, str]:
    """Return ``(text in NFC, encoding_detected)`` for a page's bytes.

    ``forced`` (a site's setting: a codec name, "tcvn3" or "vni") wins. Otherwise a BOM wins, then
    the declared encoding (HTTP header, else ``<meta>``), else strict UTF-8. When that text has
    (almost) no Vietnamese letters, strict UTF-8, cp1258 and — if :func:`detect_legacy` sees one —
    the TCVN3/VNI conversion of the cp1252 surface compete, and the highest :func:`vi_ratio` wins;
    a page that is simply not Vietnamese keeps its first decode.
    """
    if forced:
        return _decode_as(body, forced.lower())
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom:
        return unicodedata.normalize("NFC", body[len(bom) :].decode(bom_encoding, "replace")), bom_encoding
    declared = resolve_encoding(declared_encoding or "") or html_body_declared_encoding(body)
    first = _strict(body, declared or "utf-8")
    if first is None and declared:
        first = (body.decode(declared, "replace"), declared)
    if first and vi_ratio(first[0]) >= _VIETNAMESE_ENOUGH:
        return unicodedata.normalize("NFC", first[0]), first[1]
    surface = _cp1252_surface(body)
    candidates = [first] if first else []
    candidates += [
        found for found in (_strict(body, "utf-8"), (surface, "cp1252"), _strict(body, "cp1258")) if found
    ]
    if legacy := detect_legacy(surface):
        candidates.append(_decode_as(body, legacy))
    # On a tie (no Vietnamese anywhere: not a Vietnamese page) the declared decode, else cp1252, stays.
    text, encoding = max(candidates, key=lambda candidate: vi_ratio(candidate[0]))
    return unicodedata.normalize("NFC", text), encoding


def _decode_as(body: bytes, encoding: str) -> tuple[str, str]:
    if encoding == "tcvn3":
        return tcvn3_to_unicode(_cp1252_surface(body)), "tcvn3"
    if encoding == "vni":
        return vni_to_unicode(_cp1252_surface(body)), "vni"
    name = codecs.lookup(resolve_encoding(encoding) or encoding).name
    return unicodedata.normalize("NFC", body.decode(name, "replace")), name


def _strict(body: bytes, encoding: str) -> tuple[str, str] | None:
    name = codecs.lookup(encoding).name
    try:
        return body.decode(name), name
    except UnicodeDecodeError:
        return None


def _cp1252_surface(body: bytes) -> str:
    """Return the bytes as cp1252 shows them (latin-1 for the five bytes cp1252 leaves undefined)."""
    return body.decode("latin-1").translate(_CP1252_C1)


def _has_tcvn3_symbol(word: str) -> bool:
    """Return True when a TCVN3 code that is no Latin-1 letter stands next to a letter."""
    return any(
        char in _TCVN3_SYMBOLS and ((i and word[i - 1].isalpha()) or word[i + 1 : i + 2].isalpha())
        for i, char in enumerate(word)
    )
