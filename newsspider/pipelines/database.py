"""Database: write each exported record straight into the downstream database during a crawl.

Enabled by the ``DATABASE_URL`` setting (``sqlite:///output/articles.db``, ``postgresql://…``);
without it the pipeline is not configured and costs nothing. It runs last, after validation and
dedupe, and uses the same loader as ``newsspider load`` (idempotent upserts, versions, links),
so a scheduled crawl needs no separate load step. Records are written in small batches, one
transaction each; the run appears in the load log as ``crawl <spider>``.
"""

from __future__ import annotations

import json
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newsspider.db.records import BadRecord, parse_line

__all__ = ["DatabasePipeline"]

# Small: a crawl yields a few records a second, and a batch is only durable once written.
BATCH_SIZE = 50


class DatabasePipeline:
    """Load every record that reaches it into ``DATABASE_URL``; pass it on unchanged."""

    def __init__(self, crawler: Crawler, url: str) -> None:
        self.crawler = crawler
        self.url = url
        self.loader: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatabasePipeline:
        url = crawler.settings.get("DATABASE_URL")
        if not url:
            raise NotConfigured  # no message: Scrapy would log "Disabled …" as a warning on every crawl
        return cls(crawler, url)

    def open_spider(self) -> None:
        from newsspider.db import Loader, connect

        assert self.crawler.spider is not None
        self.db = connect(self.url)
        self.loader = Loader(self.db, origin=f"crawl {self.crawler.spider.name}", batch_size=BATCH_SIZE)

    def process_item(self, item: Any) -> Any:
        record = ItemAdapter(item).asdict()
        assert self.crawler.stats is not None
        try:
            # The same checks as for a file line, so a crawl and a load store alike.
            self.loader.add(parse_line(json.dumps(record, ensure_ascii=False, default=str)))
        except BadRecord as error:
            self.crawler.stats.inc_value("newsspider/db_rejected")
            self.loader.bad_line(f"crawl:{record.get('url')}", 0, str(error))
        else:
            self.crawler.stats.inc_value("newsspider/db_queued")
        return item

    def close_spider(self) -> None:
        if self.loader is None:
            return
        try:
            stats = self.loader.finish()
            assert self.crawler.stats is not None
            for name in ("inserted", "updated", "unchanged", "linked"):
                self.crawler.stats.set_value(f"newsspider/db_{name}", getattr(stats, name))
        finally:
            self.db.close()
