"""Validate: only records that satisfy the published JSON Schema are exported.

A record that fails is not lost: it is written, with every reason, to a rejects JSON Lines
file beside the feed (``<feed>.rejects.jsonl``), and counted in the crawl stats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newsspider.feeds import rejects_path
from newsspider.schema import article_schema

__all__ = ["ValidatePipeline", "validation_errors"]

_VALIDATOR = Draft202012Validator(article_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validation_errors(record: dict[str, Any]) -> list[str]:
    """Return one readable reason per schema violation of ``record`` (empty when valid)."""
    errors = sorted(_VALIDATOR.iter_errors(record), key=lambda error: list(error.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<record>'}: {e.message}" for e in errors]


class ValidatePipeline:
    """Export valid records; write the others to the rejects file with their reasons."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._rejects: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        record = ItemAdapter(item).asdict()
        reasons = validation_errors(record)
        if not reasons:
            return item
        self._write_reject(record, reasons)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsspider/rejected")
        raise DropItem(f"invalid record {record.get('url')}: {'; '.join(reasons)}")

    def close_spider(self) -> None:
        if self._rejects is not None:
            self._rejects.close()

    def _write_reject(self, record: dict[str, Any], reasons: list[str]) -> None:
        if self._rejects is None:
            assert self.crawler.spider is not None
            path = Path(rejects_path(self.crawler.settings, self.crawler.spider))
            path.parent.mkdir(parents=True, exist_ok=True)
            self._rejects = path.open("a", encoding="utf-8")
        line = {"reasons": reasons, "url": record.get("url"), "record": record}
        self._rejects.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self._rejects.flush()
