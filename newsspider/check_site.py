"""``newsspider check-site``: crawl a handful of a site's pages and say what each field yields.

What a user runs after adding a profile to ``sites.toml``, and what shows a layout change: a
field whose coverage drops to zero is a selector that no longer matches. The crawl is the real
one (same spider, parser and pipelines), cut short, with incremental state off; records that
fail validation count too, since they show what the page gave.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["FIELDS", "coverage", "format_coverage", "run_check"]

FIELDS = (
    "title", "summary", "body_text", "published_at", "modified_at", "authors", "source", "category",
    "tags", "images", "attachments", "view_count", "comment_count", "rating", "canonical_url",
)  # fmt: skip


def coverage(records: Iterable[dict[str, Any]]) -> tuple[int, dict[str, tuple[int, Any]]]:
    """Return the number of records and, per field, how many yielded it and a sample value."""
    records = list(records)
    found: dict[str, tuple[int, Any]] = {}
    for name in FIELDS:
        values = [record.get(name) for record in records if record.get(name) not in (None, "", [], {})]
        found[name] = (len(values), values[0] if values else None)
    return len(records), found


def format_coverage(site: str, total: int, found: dict[str, tuple[int, Any]], rejected: int) -> str:
    """Return the coverage table as text, one field a line."""
    lines = [f"{site}: {total} article pages read ({rejected} failed validation)"]
    for name, (count, sample) in found.items():
        shown = sample if isinstance(sample, str) else json.dumps(sample, ensure_ascii=False)
        shown = " ".join(str(shown).split())
        lines.append(f"  {name:14s} {count:3d}/{total:<3d}  {shown[:70] + ('…' if len(shown) > 70 else '')}")
    return "\n".join(lines)


def run_check(
    target: str, pages: int, overrides: dict[str, str] | None = None
) -> tuple[str, int, dict[str, tuple[int, Any]], int]:
    """Crawl up to ``pages`` article pages of a site (name or URL); return what they yielded."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsspider.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newsspider.spiders.portal import PortalSpider

    with tempfile.TemporaryDirectory(prefix="newsspider-check-") as tmp:
        feed = Path(tmp) / "records.jsonl"
        settings = get_project_settings()
        settings.setdict(
            {
                "FEEDS": {str(feed): {"format": "jsonlines", "encoding": "utf-8"}},
                "NEWSSPIDER_INCREMENTAL": False,
                "DATABASE_URL": None,  # a check never writes to the production database
                "CLOSESPIDER_ITEMCOUNT": pages,
                "CLOSESPIDER_PAGECOUNT": pages * 20,  # a layout so broken that nothing validates
                "CLOSESPIDER_TIMEOUT": 300,
                "LOG_LEVEL": "WARNING",
            },
            priority="cmdline",
        )
        settings.setdict(overrides or {}, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PortalSpider)
        arguments = {"url": target} if target.startswith(("http://", "https://")) else {"site": target}
        process.crawl(crawler, **arguments)
        process.start()
        records = _read(feed)
        rejects = [line["record"] for line in _read(feed.with_name("records.rejects.jsonl"))]
    site = crawler.spider.site if crawler.spider is not None else target  # type: ignore[attr-defined]
    total, found = coverage(records + rejects)
    return site, total, found, len(rejects)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
