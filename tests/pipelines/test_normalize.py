"""Normalize: one spelling of text, dates in Vietnam time, absolute URLs, stable id and hash."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict

from newsspider.items import Article
from newsspider.pipelines.normalize import normalize_record


def _record(**fields: object) -> dict:
    base = asdict(Article(site="demo", native_id="6", url="http://portal.example/xa/bai-6.html"))
    return base | fields


def test_text_fields_become_nfc_without_invisible_characters() -> None:
    record = _record(
        title=unicodedata.normalize("NFD", "Khai\u00a0mạc Ðại hội\u200b"),
        summary="Dòng một\u00ad\n\n\n\nDòng  hai ",
        body_text="B&amp;#7855;c Giang\u00a0 ngày 24/8",
        authors=[" Thu  Hương ", "Thu Hương"],
        tags=["đại hội", ""],
    )
    normalize_record(record)
    assert record["title"] == "Khai mạc Đại hội"
    assert unicodedata.is_normalized("NFC", record["title"])
    assert record["summary"] == "Dòng một\n\nDòng hai"
    assert record["body_text"] == "Bắc Giang ngày 24/8"
    assert record["authors"] == ["Thu Hương"]
    assert record["tags"] == ["đại hội"]


def test_dates_are_iso_in_vietnam_time_and_keep_the_raw_string() -> None:
    record = _record(
        published_at="2020-08-23T17:08:00+00:00", published_at_raw="Thứ hai - 23/08/2020 17:08",
        modified_at=None, modified_at_raw="Cập nhật: 25/08/2020 08:30",
    )  # fmt: skip
    normalize_record(record)
    assert record["published_at"] == "2020-08-24T00:08:00+07:00"
    assert record["published_at_raw"] == "Thứ hai - 23/08/2020 17:08"
    assert record["modified_at"] == "2020-08-25T08:30:00+07:00"


def test_unreadable_date_becomes_null_not_a_guess() -> None:
    record = _record(published_at=None, published_at_raw="không rõ ngày")
    normalize_record(record)
    assert record["published_at"] is None


def test_urls_become_absolute() -> None:
    record = _record(
        canonical_url="/xa/bai-6.html",
        images=[{"url": "/uploads/a b.jpg", "caption": " Ảnh ", "alt": None}, {"url": None}],
        attachments=[{"url": "tep.pdf", "name": "tep.pdf"}],
    )
    normalize_record(record)
    assert record["canonical_url"] == "http://portal.example/xa/bai-6.html"
    assert record["images"] == [
        {"url": "http://portal.example/uploads/a%20b.jpg", "caption": "Ảnh", "alt": None}
    ]
    assert record["attachments"] == [{"url": "http://portal.example/xa/tep.pdf", "name": "tep.pdf"}]


def test_id_and_content_hash() -> None:
    first = _record(title="Tiêu đề", body_text="Nội dung.")
    same_in_other_bytes = _record(title=unicodedata.normalize("NFD", "Tiêu đề"), body_text="Nội dung.\u200b")
    edited = _record(title="Tiêu đề", body_text="Nội dung đã sửa.")
    for record in (first, same_in_other_bytes, edited):
        normalize_record(record)
    assert first["id"] == "demo:6"
    assert first["content_hash"].startswith("sha256:")
    assert first["content_hash"] == same_in_other_bytes["content_hash"] != edited["content_hash"]


def test_body_html_keeps_its_entities() -> None:
    record = _record(body_html="<p>a &lt;b&gt; &amp; c</p>")
    normalize_record(record)
    assert record["body_html"] == "<p>a &lt;b&gt; &amp; c</p>"
