"""Match key: the comparison form of an article, under which republished copies compare equal.

Portals republish each other's articles with small, meaningless differences: another tone
style (``hoà``/``hòa``), NFD text pasted from a Mac, ``&nbsp;``, an attribution prefix on the
lead (``(BGĐT) -``) and a trailing ``Nguồn tin: …`` line. The key removes exactly those
(research/vietnamese.md §1.3), so the shingles of a copy are the shingles of its original. The
key is only ever compared and hashed: stored text is never rewritten with it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from newsspider.text.normalize import normalize_text

__all__ = [
    "SHINGLE_SIZE",
    "canonical_tones",
    "codes_hash",
    "jaccard_and_containment",
    "key_codes",
    "key_words",
    "match_key",
    "record_codes",
    "record_text",
    "shingle_hashes",
    "strip_attribution",
]

# Tone on the first vowel of the open syllables oa, oe, uy ("hòa", "khỏe", "thủy"): the style
# most dictionaries use.  Only a syllable that ends right after the pair is open; a closed one
# ("hoàn", "khuỷu", "ngoài") places its tone on the second vowel in both styles and is left
# alone, and "qu" is a consonant, so "quý" keeps its tone.
_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"  # huyền, sắc, hỏi, ngã, nặng
_PAIRS = {("o", "a"), ("o", "e"), ("u", "y")}


def _tone_table() -> dict[str, str]:
    """Return every "second vowel toned" spelling of the pairs, in all cases, with its fix."""
    table: dict[str, str] = {}
    for first, second in _PAIRS:
        for mark in _TONE_MARKS:
            for upper_first in (False, True):
                for upper_second in (False, True):
                    a = first.upper() if upper_first else first
                    b = second.upper() if upper_second else second
                    old = a + unicodedata.normalize("NFC", b + mark)
                    table[old] = unicodedata.normalize("NFC", a + mark) + b
    return table


_TONES = _tone_table()
# Character classes, not an alternation of the table's keys, and no look-around: the rare
# candidates are checked in _fix_tone, which keeps the scan ~10x faster on long text.
_TONE_PATTERN = re.compile("[oOuU][" + "".join(sorted({old[1] for old in _TONES})) + "]")


def _fix_tone(match: re.Match[str]) -> str:
    """Return the canonical spelling of a matched pair when it ends an open syllable."""
    text, start, end = match.string, match.start(), match.end()
    pair = match.group()
    if (start and text[start - 1] in "qQ") or (end < len(text) and text[end].isalnum()):
        return pair
    return _TONES.get(pair, pair)


# Attribution a republisher adds: a parenthesised or capitalised dateline before the lead,
# "(Cổng TTĐT Bắc Giang) - ", "(BGĐT) – ", "BẮC GIANG - ", and closing credit lines.
_PAREN_PREFIX = re.compile(r"^\s*\([^()\n]{1,80}\)\s*[-–—:]?\s*")
_DATELINE = re.compile(r"^\s*([^\n]{2,40}?)\s*[-–—]\s+")
_CREDIT_LINE = re.compile(
    r"^\s*(?:\(?\s*(?:nguồn(?: tin)?|theo|tác giả|bài(?: và|,)? ảnh|ảnh|tin, ảnh)\s*[:\-–]|\(?theo\s)"
    r"[^\n]{0,120}$",
    re.IGNORECASE,
)
# Punctuation folds to spaces, on the key's UTF-8 bytes: ASCII punctuation, and the ASCII
# separators str.split() knows (\x1c-\x1f), through one bytes.translate (C speed, ~20x a regex);
# then the few non-ASCII marks Vietnamese text uses and the Unicode spaces, replaced as bytes
# (UTF-8 is self-synchronising, so that is a character replace) only when a lead byte they
# share is present at all. ~2x faster than the same steps on str.
_ASCII_PUNCTUATION = (
    bytes(range(33, 48)) + bytes(range(58, 65)) + bytes(range(91, 97)) + bytes(range(123, 127))
)
_OTHER_PUNCTUATION = "“”‘’«»…–—•·°º‹›„‚¸´`"
SHINGLE_SIZE = 5
_ASCII_TO_SPACE_AND_SPLIT = bytes.maketrans(
    _ASCII_PUNCTUATION + bytes(range(0x1C, 0x20)), b" " * (len(_ASCII_PUNCTUATION) + 4)
)
_UNICODE_SPACES = (
    "\x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_NON_ASCII_MARKS = tuple(
    mark.encode("utf-8") for mark in dict.fromkeys(_OTHER_PUNCTUATION + _UNICODE_SPACES) if ord(mark) > 0x7F
)
_MARK_LEADS = tuple(dict.fromkeys(mark[:-1] if len(mark) == 3 else mark[:1] for mark in _NON_ASCII_MARKS))


def canonical_tones(text: str) -> str:
    """Return NFC ``text`` with open oa/oe/uy toned on the first vowel (``hoà`` → ``hòa``)."""
    return _TONE_PATTERN.sub(_fix_tone, text)


def strip_attribution(text: str) -> str:
    """Return ``text`` without a dateline prefix on its first line and trailing credit lines."""
    lines = text.split("\n")
    while lines and (not lines[-1].strip() or _CREDIT_LINE.match(lines[-1])):
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines:
        lines[0] = _strip_lead_prefix(lines[0])
    return "\n".join(lines)


def _strip_lead_prefix(line: str) -> str:
    """Return ``line`` without a "(Source) - " or "UPPERCASE DATELINE - " prefix."""
    match = _PAREN_PREFIX.match(line)
    if match:
        return line[match.end() :]
    match = _DATELINE.match(line)
    if match and match.group(1).isupper():
        return line[match.end() :]
    return line


def record_text(title: str | None, summary: str | None, body_text: str | None) -> str:
    """Return the text an article is compared by: title, lead and body, one per paragraph.

    The lead is joined to the body so that a copy that prints the lead as the body's first
    paragraph (or drops the lead field) still matches.
    """
    parts = [normalize_text(part) for part in (summary, body_text) if part]
    body = strip_attribution("\n\n".join(parts))
    return normalize_text(title or "") + "\n\n" + body


def record_codes(title: str | None, summary: str | None, body_text: str | None) -> bytes:
    """Return ``key_codes(record_text(title, summary, body_text))``, normalising only a few lines.

    Normalising a whole text (~25 us) only matters to its tokens and to the lines attribution
    stripping reads, the first and the last: the other tokens are taken as they are, each
    normalised on its first lookup. That holds while no part has an ``&`` (an entity anywhere
    has the whole text unescaped, so a text with one goes the long way) nor a line boundary
    other than "\n".
    """
    title = title or ""
    text = "\n\n".join(part for part in (summary, body_text) if part)
    if any(mark in text or mark in title for mark in _LONG_WAY):
        return key_codes(record_text(title, summary, body_text))
    end = len(text)  # credit lines and blank lines at the end are dropped
    while end:
        start = text.rfind("\n", 0, end) + 1
        last = normalize_text(text[start:end])
        if last and not _CREDIT_LINE.match(last):
            break
        end = max(start - 1, 0)
    begin, lead = 0, ""  # blank lines at the start too, and the lead's dateline prefix
    while begin < end and not lead:
        stop = text.find("\n", begin, end)
        stop = end if stop < 0 else stop
        lead = normalize_text(text[begin:stop])
        begin = stop + 1
    # Split as UTF-8: bytes are ~25% cheaper to split and look up than str. bytes.split() leaves
    # the non-ASCII spaces inside tokens, where key_words splits them off as str.split() would.
    words = " ".join((title, _strip_lead_prefix(lead), text[begin:end])).encode("utf-8", "surrogatepass")
    return b"".join(map(_RECORD_TOKEN_CODES.__getitem__, words.split()))


_LONG_WAY = "&\r\x1c\x1d\x1e\x85\u2028\u2029"


def match_key(text: str) -> str:
    """Return the comparison form of ``text``: NFC, tones canonical, casefolded, words only."""
    return b" ".join(key_words(text)).decode("utf-8")


def key_words(text: str) -> list[bytes]:
    """Return the words of ``match_key(text)`` as UTF-8 bytes (the key is them joined by spaces).

    Works on bytes throughout: ``str.split()`` splits on the Unicode spaces too, so they are
    replaced by a space first and ``bytes.split()`` gives the very same words.
    """
    key = canonical_tones(unicodedata.normalize("NFC", text)).casefold().encode("utf-8")
    key = key.translate(_ASCII_TO_SPACE_AND_SPLIT)
    if any(lead in key for lead in _MARK_LEADS):
        for mark in _NON_ASCII_MARKS:
            if mark in key:
                key = key.replace(mark, b" ")
    return key.split()


def key_codes(text: str) -> bytes:
    """Return the words of ``match_key(text)`` as 16-byte lanes: each word's 8-byte hash, 8 zero bytes.

    The words of a text are those of its whitespace-separated tokens, key by key (no step of the
    key looks across whitespace), and a token's are computed once per process: news repeats
    its tokens, and a dict lookup is ~10x cheaper than making the word again.
    """
    return b"".join(map(_TOKEN_CODES.__getitem__, text.split()))


_Token = TypeVar("_Token", str, bytes)


class _TokenCodes(dict[_Token, bytes]):
    """Token -> its key words' lanes, made on first lookup (``__missing__``).

    A miss is handled inside the C lookup of ``map``: every text has a few new tokens (numbers,
    names), and catching a KeyError meant looking its tokens up twice (~30 us a text).
    """

    def __init__(self, words: Callable[[_Token], list[bytes]]) -> None:
        super().__init__()
        self.words: Callable[[_Token], list[bytes]] = words

    def __missing__(self, token: _Token) -> bytes:
        if len(self) > _MAX_TOKENS:
            self.clear()
        words = self.words(token)
        codes = b"".join(hashlib.blake2b(word, digest_size=8).digest() + bytes(8) for word in words)
        self[token] = codes
        return codes


_TOKEN_CODES: _TokenCodes[str] = _TokenCodes(key_words)
# A token of a text without "&", as normalize_text would leave it (it never looks across whitespace).
_RECORD_TOKEN_CODES: _TokenCodes[bytes] = _TokenCodes(
    lambda token: key_words(normalize_text(token.decode("utf-8", "surrogatepass")))
)
_MAX_TOKENS = 1 << 18  # ~40 MB; past it the cache starts again
_LANE = 16


def codes_hash(codes: bytes) -> str:
    """Return the match hash of a key given as :func:`key_codes`: equal for exact republications."""
    return hashlib.sha1(codes, usedforsecurity=False).hexdigest()


def shingle_hashes(codes: bytes) -> bytes:
    """Return an 8-byte hash of each 5-word shingle of a key given as :func:`key_codes`, in order.

    A key of at most 5 words is one shingle. The lanes are one big integer, so the shingles come
    from a few shifts and XORs done in C, not from a bytes object per shingle (~10x faster): lane
    i of the result holds word i, word i+1 shifted 7 bits, ..., word i+4 shifted 28 bits (order
    counts), folded to 64 bits. Pairs of words are XORed first and then pairs of pairs: three
    shifts of the ~7 kB integer instead of four.
    """
    words = len(codes) // _LANE
    if not words:
        return b""
    lanes = int.from_bytes(codes, "little")
    step = _LANE * 8 - 7  # lane i + 1 shifted by this lands on lane i, 7 bits up
    pairs = lanes ^ (lanes >> step)  # words i and i + 1
    mixed = pairs ^ (pairs >> 2 * step) ^ (lanes >> 4 * step)  # words i to i + 4 (SHINGLE_SIZE)
    mixed ^= mixed >> 64
    count = max(1, words - SHINGLE_SIZE + 1)
    return memoryview(mixed.to_bytes(len(codes), "little")).cast("Q")[: 2 * count : 2].tobytes()


def jaccard_and_containment(a: Iterable[Hashable], b: Iterable[Hashable]) -> tuple[float, float]:
    """Return the Jaccard index of two shingle sets and the containment of the smaller one."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0, 0.0
    common = len(set_a & set_b)
    return common / len(set_a | set_b), common / min(len(set_a), len(set_b))
