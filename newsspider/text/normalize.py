"""Stored form of scraped text: one canonical spelling for every text field.

Vietnamese portals hand us the same words in many byte forms (NFD from macOS
editors, "Unicode tổ hợp" from IMEs, double-escaped NCRs from old CMSs, Word's
zero-width junk, ``&nbsp;`` runs used for indentation, the eth look-alike for
Đ).  Normalising once, here, makes equal text compare equal and keeps the
output stable.  Only canonical (NFC) changes are made: tone placement
(``hoà``/``hòa``), quotes and NFKC-only forms (``m²``, ``…``) are the author's
and stay as written.  Tone folding belongs in a match key, not in stored text.
"""

import html
import re
import unicodedata

# Characters to replace: invisible ones are deleted, look-alikes mapped to the
# Vietnamese letter, every odd space (and tab, \f, \v, \x1f) to a space and
# every other line boundary that str.splitlines() knows to "\n".  Afterwards
# the only whitespace left is " " and "\n", so the steps below stay simple.
# SHY is deleted here: legacy (TCVN3) decoding, where 0xAD is a letter, happens
# before text reaches this module.  "\r\n" comes first so it stays one break.
# Applied as `in` tests plus str.replace for the few present: on a 5 kB
# article that is ~15 us, where str.translate with a dict costs ~340 us.
_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("\r\n", "\n"),
    *((c, "") for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"),
    ("\u00d0", "\u0110"),  # Ð (eth) -> Đ
    ("\u00f0", "\u0111"),  # ð (eth) -> đ
    *((c, " ") for c in "\t\v\f\x1f\u00a0\u1680\u202f\u205f\u3000"),
    *((chr(c), " ") for c in range(0x2000, 0x200B)),
    *((c, "\n") for c in "\r\x1c\x1d\x1e\x85\u2028\u2029"),
)
_ENTITY = re.compile(r"&(?:#\d{2,7}|#[xX][0-9a-fA-F]{2,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# Literal-prefix patterns ("  ", "\n\n\n") let re skip ahead fast.
_SPACES = re.compile(r"  +")
_BLANK_LINES = re.compile(r"\n\n\n+")

# Text parsel already decoded once; a third level of escaping is not seen in
# practice, and bounding the passes keeps literal "&amp;" talk from melting.
_MAX_UNESCAPE_PASSES = 2


def _canonical_chars(s: str) -> str:
    """Map/delete odd characters, then compose to NFC.

    The mapping runs first so that deleting a zero-width character between a
    letter and its combining mark still yields the composed letter.
    """
    for old, new in _REPLACEMENTS:
        if old in s:
            s = s.replace(old, new)
    return unicodedata.normalize("NFC", s)


def normalize_text(s: str) -> str:
    """Return the stored form of a multi-line text field.

    Leftover HTML entities are unescaped (at most twice, and only when an
    entity is present: ``B&amp;#7855;c`` -> ``Bắc``), characters are made
    canonical (see :func:`_canonical_chars`), runs of spaces collapse to one,
    lines are stripped and paragraphs are separated by exactly one blank line.
    Single line breaks are kept.  Idempotent for text with at most two levels
    of entity escaping (a third level is peeled off by the next call).
    """
    s = _canonical_chars(s)
    # Entities are looked for only in canonical text: NFC may turn U+037E into
    # ";" and deleting U+200B may join "&am" and "p;".
    for _ in range(_MAX_UNESCAPE_PASSES):
        if "&" not in s or not _ENTITY.search(s):
            break
        s = _canonical_chars(html.unescape(s))
    if "  " in s:
        s = _SPACES.sub(" ", s)
    # Runs are single spaces now, so plain replaces strip every line.
    if " \n" in s:
        s = s.replace(" \n", "\n")
    if "\n " in s:
        s = s.replace("\n ", "\n")
    if "\n\n\n" in s:
        s = _BLANK_LINES.sub("\n\n", s)
    return s.strip()


def normalize_inline(s: str) -> str:
    """Return the stored form of a one-line field (title, author, caption).

    Same as :func:`normalize_text`, but every line break becomes a single
    space: a title wrapped over two lines in the HTML is still one title.
    """
    # normalize_text leaves only single "\n" or "\n\n" with no spaces around.
    return normalize_text(s).replace("\n\n", " ").replace("\n", " ")
