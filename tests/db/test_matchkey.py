"""The match key: republished spellings compare equal, different words do not."""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.db.linking import features, features_of_texts
from newsspider.db.matchkey import (
    _TOKEN_CODES,
    canonical_tones,
    codes_hash,
    key_codes,
    key_words,
    match_key,
    record_codes,
    record_text,
    shingle_hashes,
    strip_attribution,
)

# (written, canonical): tone on the first vowel of open oa / oe / uy; everything else untouched.
TONE_PAIRS = [
    ("hoà", "hòa"), ("hoá", "hóa"), ("hoả", "hỏa"), ("hoã", "hõa"), ("hoạ", "họa"),
    ("thuỷ", "thủy"), ("thuý", "thúy"), ("thuỳ", "thùy"), ("luỹ", "lũy"), ("tuỵ", "tụy"),
    ("khoẻ", "khỏe"), ("xoè", "xòe"), ("loé", "lóe"), ("hoẹ", "họe"),
    ("Uỷ ban", "Ủy ban"), ("HOÀ BÌNH", "HÒA BÌNH"), ("Thuỷ", "Thủy"), ("hoà.", "hòa."),
    ("Khánh Hoà,", "Khánh Hòa,"), ("xã hội hoá", "xã hội hóa"),
]  # fmt: skip
UNCHANGED = [
    "hòa", "thủy", "khỏe", "quý", "Quỳnh", "quỹ", "hoàn", "thuyền", "khuya", "khuỷu", "huỳnh", "suýt",
    "thuở", "giữa", "gìn", "ngoài", "toàn", "hoạch", "chuyển", "Pokémon", "São",
]  # fmt: skip


@pytest.mark.parametrize(("written", "canonical"), TONE_PAIRS)
def test_tones_move_to_the_first_vowel_of_open_oa_oe_uy(written: str, canonical: str) -> None:
    assert canonical_tones(written) == canonical
    assert canonical_tones(unicodedata.normalize("NFC", canonical)) == canonical


@pytest.mark.parametrize("word", UNCHANGED)
def test_other_syllables_keep_their_tones(word: str) -> None:
    assert canonical_tones(word) == word


def test_attribution_prefix_and_credit_lines_are_stripped() -> None:
    text = "(BGĐT) - Sáng 24/8, tỉnh tổ chức hội nghị.\n\nNội dung chính.\n\nNguồn tin: baobacgiang.com.vn"
    assert strip_attribution(text) == "Sáng 24/8, tỉnh tổ chức hội nghị.\n\nNội dung chính."
    assert strip_attribution("BẮC GIANG - Sáng nay.\n\nTheo Báo Bắc Giang") == "Sáng nay."
    assert strip_attribution("Bắc Giang - nơi hội tụ.") == "Bắc Giang - nơi hội tụ."  # not a dateline


def test_republished_spellings_share_one_key() -> None:
    original = record_text("Khánh Hòa: xã hội hóa y tế", "Sáng 24/8, tỉnh Khánh Hòa họp.", "Thủy lợi khỏe.")
    copy = record_text(
        "Khánh Hoà: xã hội hoá y tế",
        "(Cổng TTĐT Khánh Hoà) – Sáng 24/8,\u00a0tỉnh " + unicodedata.normalize("NFD", "Khánh Hoà họp."),
        "Thuỷ lợi khoẻ.\n\nNguồn tin: baokhanhhoa.vn",
    )
    assert original != copy
    assert (
        match_key(original)
        == match_key(copy)
        == "khánh hòa xã hội hóa y tế sáng 24 8 tỉnh khánh hòa họp thủy lợi khỏe"
    )


def _reference_codes(text: str) -> bytes:
    """Each word of the key, one at a time: its 8-byte BLAKE2b, then 8 zero bytes."""
    return b"".join(hashlib.blake2b(w, digest_size=8).digest() + bytes(8) for w in key_words(text))


def _reference_shingles(codes: bytes) -> list[int]:
    """The shingle hashes spelled out word by word (see shingle_hashes)."""
    words = [int.from_bytes(codes[i : i + 8], "little") for i in range(0, len(codes), 16)]
    out = []
    for start in range(max(1, len(words) - 4) if words else 0):
        lane = 0
        for offset, word in enumerate(words[start : start + 5]):
            lane ^= word << (7 * offset)
        out.append((lane ^ (lane >> 64)) & (2**64 - 1))
    return out


def test_shingles_are_five_words_in_order() -> None:
    def hashes(text: str) -> list[int]:
        return list(memoryview(shingle_hashes(key_codes(text))).cast("Q"))

    six = hashes("a b c d e f")
    assert len(six) == 2 and six[0] == hashes("a b c d e")[0] and six[1] == hashes("b c d e f")[0]
    assert hashes("a b c d e") != hashes("b a c d e")  # the order of the words counts
    assert len(hashes("hòa b")) == 1 and hashes("") == []
    assert hashes("Hoà, b!") == hashes("hòa b")


def _reference_match_key(text: str) -> str:
    """The match key spelled out on str, step by step: the loader's bytes path must equal it."""
    key = canonical_tones(unicodedata.normalize("NFC", text)).casefold()
    for mark in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’«»…–—•·°º‹›„‚¸´`":
        key = key.replace(mark, " ")
    return " ".join(key.split())


_TRICKY = "Hoà, THUỶ. “khoẻ” – «quý» · 5°C m² ´¸ a\u00a0b\u3000c\u2028d\x1ce\x85f\u1680g\u2009h\u200bi"


@pytest.mark.parametrize("text", [_TRICKY, "", "   ", "(BGĐT) - Sáng 24/8 …", "Đắk Lắk—Gia Lai‚„‹›•"])
def test_the_key_equals_the_step_by_step_reference(text: str) -> None:
    assert match_key(text) == _reference_match_key(text)
    assert key_codes(text) == _reference_codes(text)


@given(st.text(alphabet=st.sampled_from(_TRICKY + "aàáạoóuýyỷ \n\t.-"), max_size=200) | st.text(max_size=50))
@settings(max_examples=300, deadline=None)
def test_the_key_equals_the_reference_on_any_text(text: str) -> None:
    assert match_key(text) == _reference_match_key(text)
    _TOKEN_CODES.clear()  # each token computed afresh, then taken from the cache
    assert key_codes(text) == key_codes(text) == _reference_codes(text)
    codes = key_codes(text)
    assert list(memoryview(shingle_hashes(codes)).cast("Q")) == _reference_shingles(codes)


def test_real_keys_equal_the_reference(real_records: list[dict[str, Any]]) -> None:
    texts = [(r["title"], r["summary"], r["body_text"]) for r in real_records]
    for (title, summary, body_text), computed in zip(texts, features_of_texts(texts), strict=True):
        text = record_text(title, summary, body_text)
        assert match_key(text) == _reference_match_key(text)
        codes = _reference_codes(text)
        assert computed[0] == codes_hash(codes)
        assert computed[2] == shingle_hashes(codes)
        assert list(memoryview(computed[2]).cast("Q")) == _reference_shingles(codes)
        one = features(title, summary, body_text)  # alone, or in a batch: the same
        assert (one.match_hash, one.minhash, one.buckets) == (computed[0], computed[1], computed[3])


# Pieces of article text, the odd ones included: attribution, entities, NFD, zero-width and eth
# characters, odd spaces and line boundaries.
_PIECES = [
    "Sáng", "hoà", "THUỶ", "khoẻ.", " ", " ", "\n", "\n\n", "\t", "\u00a0", "\u3000", "\u200b", "Ð", "ð",
    "(BGĐT) - ", "(Cổng TTĐT Bắc Giang) – ", "BẮC GIANG - ", "Nguồn tin: baobacgiang.vn", "Theo TTXVN",
    "Ảnh: Minh Hà", unicodedata.normalize("NFD", "Nguồn tin: Hòa"), "&amp;", "&nbsp;", "&", "R&D", "\r\n",
    "\u2028", "\x1c", "\x85", "5°C", "“quý”", "o\u0300", "\u00ad", "-",
]  # fmt: skip
_ARTICLE_TEXT = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@given(st.none() | _ARTICLE_TEXT, st.none() | _ARTICLE_TEXT, st.none() | _ARTICLE_TEXT)
@settings(max_examples=500, deadline=None)
def test_record_codes_equal_the_key_of_the_record_text(
    title: str | None, summary: str | None, body_text: str | None
) -> None:
    """The short way (a few lines normalised, tokens one by one) gives the key of the whole text."""
    assert record_codes(title, summary, body_text) == key_codes(record_text(title, summary, body_text))
