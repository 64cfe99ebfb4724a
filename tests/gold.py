"""The fixtures' gold records, and the fields of our records they are compared with.

``gold.jsonl`` holds values read back from the CMS database; the mapping below says which of
our record fields each corresponds to, so parser and end-to-end tests compare the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
NUKEVIET = FIXTURES / "nukeviet"
VARIANTS = ("egov-short", "stock-lang")
RECORDED_ORIGIN = "http://127.0.0.1:8088"

# Phrases that are never article text on these pages (nukeviet.md §3 and the seed page).
BOILERPLATE_PHRASES = (
    "Tổng số điểm", "phiếu bầu", "Click để đánh giá", "Ý kiến bạn đọc", "Bạn đã không sử dụng Site",
    "Thời gian chờ", "Nguồn tin:", "Tác giả:", "Tags:", "Những tin mới hơn", "Những tin cũ hơn",
    "Theo dòng sự kiện", "Xem tiếp", "Tweet", "Gửi bình luận", "Sắp xếp theo", "File đính kèm",
    "Trang nhất", "Lưu bài viết này", "In ra", "JavaScript", "Ghi rõ nguồn",
)  # fmt: skip


def gold_records(variant: str) -> list[dict[str, Any]]:
    """Return the variant's gold records, ordered by id."""
    lines = (NUKEVIET / variant / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def manifest(variant: str) -> dict[str, dict[str, Any]]:
    return json.loads((NUKEVIET / variant / "manifest.json").read_text(encoding="utf-8"))


def article_file(variant: str, gold: dict[str, Any]) -> Path:
    """Return the saved page of a gold article at its canonical URL."""
    return NUKEVIET / variant / manifest(variant)[gold["path"]]["file"]


def paragraphs(text: str | None) -> list[str]:
    """Return the non-empty lines of a text (gold separates blocks by one newline, we by two)."""
    return [line for line in (text or "").split("\n") if line.strip()]


def expected_fields(gold: dict[str, Any], variant: str, *, site: str, origin: str) -> dict[str, Any]:
    """Return what our record must say for a gold article, served from ``origin``."""
    at = origin.rstrip("/")
    rating = gold["rating"]
    lead = gold["image"]
    images = [{"url": at + lead["src"], "caption": lead["caption"] or None}] if lead else []
    images += [{"url": at + image["src"], "caption": image["caption"]} for image in gold["body_images"]]
    egov = variant == "egov-short"  # only the eGov header row shows views and comments
    return {
        "id": f"{site}:{gold['id']}",
        "native_id": str(gold["id"]),
        "canonical_url": gold["url"].replace(RECORDED_ORIGIN, at),
        "title": gold["title"],
        "summary": gold["summary"] or None,
        "body_text": paragraphs(gold["body_text"]),
        "authors": [gold["author"]] if gold["author"] else [],
        "source": gold["source"],
        "source_url": None,  # the fixture site prints the source as plain text (config_source=0)
        "published_at": gold["published_at"],
        "modified_at": gold["updated_at"],
        "category": gold["category"]["title"],
        "tags": sorted(tag["name"] for tag in gold["tags"]),
        "images": images,
        "attachments": sorted(path.rsplit("/", 1)[1] for path in gold["attachments"]),
        "view_count": gold["views"] if egov else None,
        "comment_count": gold["comments"]["count"] if egov else None,
        "rating": (
            {"score": rating["average"] if rating["count"] else None, "votes": rating["count"]}
            if rating["enabled"]
            else None
        ),  # fmt: skip
    }


def actual_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Return the comparable view of one of our records (see :func:`expected_fields`)."""
    return {
        "id": record["id"],
        "native_id": record["native_id"],
        "canonical_url": record["canonical_url"],
        "title": record["title"],
        "summary": record["summary"],
        "body_text": paragraphs(record["body_text"]),
        "authors": record["authors"],
        "source": record["source"],
        "source_url": record["source_url"],
        "published_at": record["published_at"],
        "modified_at": record["modified_at"],
        "category": record["category"],
        "tags": sorted(record["tags"]),
        "images": [{"url": image["url"], "caption": image["caption"]} for image in record["images"]],
        "attachments": sorted(item["name"] for item in record["attachments"]),
        "view_count": record["view_count"],
        "comment_count": record["comment_count"],
        "rating": record["rating"],
    }
