"""Normalize: one spelling for every value, so equal articles compare equal.

Text becomes NFC without invisible characters or odd spaces (``newsspider.text.normalize``),
dates become ISO 8601 in Vietnam time with the string they were read from kept beside them,
URLs become absolute, and the record gets its stable id and a content hash.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from w3lib.url import safe_url_string

from newsspider.dates import parse_date, to_iso
from newsspider.pipelines import not_run_in_extraction_processes
from newsspider.text.normalize import normalize_inline, normalize_text

__all__ = ["NormalizePipeline", "normalize_record"]

_INLINE_FIELDS = ("title", "source", "category")
_BLOCK_FIELDS = ("summary", "body_text")
_LIST_FIELDS = ("authors", "breadcrumbs", "tags")
_URL_FIELDS = ("url", "canonical_url", "source_url")
_HASHED_FIELDS = ("title", "summary", "body_text")


def normalize_record(record: dict[str, Any] | ItemAdapter) -> None:
    """Normalize a cleaned record in place and give it its id and content hash."""
    for name in _INLINE_FIELDS:
        record[name] = _inline(record.get(name))
    for name in _BLOCK_FIELDS:
        value = record.get(name)
        record[name] = normalize_text(value) or None if value else None
    if record.get("body_html"):  # NFC only: unescaping entities would corrupt the markup
        record["body_html"] = unicodedata.normalize("NFC", record["body_html"])
    for name in _LIST_FIELDS:
        values = (_inline(value) for value in record.get(name) or [])
        record[name] = list(dict.fromkeys(value for value in values if value))
    base = record.get("url")
    for name in _URL_FIELDS:
        record[name] = _absolute(record.get(name), base)
    record["images"] = [
        {"url": _absolute(image.get("url"), base), "caption": _inline(image.get("caption")),
         "alt": _inline(image.get("alt"))}
        for image in record.get("images") or [] if image.get("url")
    ]  # fmt: skip
    record["attachments"] = [
        {"url": _absolute(item.get("url"), base), "name": _inline(item.get("name"))}
        for item in record.get("attachments") or [] if item.get("url")
    ]  # fmt: skip
    for name in ("published_at", "modified_at"):
        record[name] = _iso_date(record.get(name), record.get(f"{name}_raw"))
    if record.get("site") and record.get("native_id"):
        record["id"] = f"{record['site']}:{record['native_id']}"
    record["content_hash"] = content_hash(record)


def content_hash(record: dict[str, Any] | ItemAdapter) -> str:
    """Return a hash of what a reader reads; it changes when the article is edited."""
    digest = hashlib.sha256()
    for name in _HASHED_FIELDS:
        digest.update((record.get(name) or "").encode("utf-8"))
        digest.update(b"\x00")
    return f"sha256:{digest.hexdigest()}"


def _inline(value: str | None) -> str | None:
    return normalize_inline(value) or None if value else None


def _absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    return safe_url_string(urljoin(base or "", url.strip()))


def _iso_date(value: str | None, raw: str | None) -> str | None:
    """Return ``value`` (ISO, any offset) in Vietnam time; parse ``raw`` when there is no value."""
    moment: datetime | None = None
    if value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = parse_date(value)
    if moment is None and raw:
        moment = parse_date(raw)
    if moment is None or moment.tzinfo is None:
        return None
    return to_iso(moment)


class NormalizePipeline:
    """Item pipeline around :func:`normalize_record`."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        not_run_in_extraction_processes(crawler)
        return cls()

    def process_item(self, item: Any) -> Any:
        normalize_record(ItemAdapter(item))
        return item
