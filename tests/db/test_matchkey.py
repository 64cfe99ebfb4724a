"""The match key: republished spellings compare equal, different words do not."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.db.linking import features
from newsspider.db.matchkey import (
    canonical_tones,
    key_words,
    match_key,
    record_text,
    shingles,
    strip_attribution,
    word_shingles,
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


def test_shingles_are_five_syllables() -> None:
    assert shingles("a b c d e f") == [b"a b c d e", b"b c d e f"]
    assert shingles("hòa b") == ["hòa b".encode()]
    assert shingles("") == []


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
    assert shingles(match_key(text)) == word_shingles(key_words(text))


@given(st.text(alphabet=st.sampled_from(_TRICKY + "aàáạoóuýyỷ \n\t.-"), max_size=200) | st.text(max_size=50))
@settings(max_examples=300, deadline=None)
def test_the_key_equals_the_reference_on_any_text(text: str) -> None:
    assert match_key(text) == _reference_match_key(text)


def test_real_keys_equal_the_reference(real_records: list[dict[str, Any]]) -> None:
    for record in real_records:
        text = record_text(record["title"], record["summary"], record["body_text"])
        assert match_key(text) == _reference_match_key(text)
        assert features(record["title"], record["summary"], record["body_text"]).shingles == shingles(
            _reference_match_key(text)
        )
