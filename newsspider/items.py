"""The article record: one per article, the unit every pipeline, exporter and loader works on.

Field names follow the Zyte Article vocabulary where one exists, in snake_case. The JSON Schema
in ``newsspider/schema/`` documents and validates the same fields; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter

SCHEMA_VERSION = "1.1"  # 1.1: encoding_detected


@dataclass
class Article:
    """One news article as exported; nested values are plain JSON types."""

    schema_version: str = SCHEMA_VERSION
    id: str | None = None
    native_id: str | None = None
    site: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    summary: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    published_at: str | None = None
    published_at_raw: str | None = None
    modified_at: str | None = None
    modified_at_raw: str | None = None
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    source_url: str | None = None
    category: str | None = None
    breadcrumbs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    view_count: int | None = None
    comment_count: int | None = None
    rating: dict[str, Any] | None = None
    language: str | None = None
    encoding_detected: str | None = None
    crawled_at: str | None = None
    content_hash: str | None = None
    extractor: str | None = None


def record_of(item: Any) -> dict[str, Any]:
    """Return an item's fields as a dict that shares its values: read it, do not change it.

    ``ItemAdapter.asdict`` deep-copies every nested list and dict, a fifth of a millisecond per
    article; validation, the health check, the exporter and the loaders only read the record. An
    Article's instance dict holds exactly its fields, in their order (a dataclass sets them all).
    """
    if isinstance(item, Article):
        return dict(vars(item))
    if isinstance(item, dict):
        return item
    return ItemAdapter(item).asdict()
