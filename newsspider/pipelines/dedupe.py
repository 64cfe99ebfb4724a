"""Dedupe: one record per article id within a run.

The same article is reached under several URLs (a parent category's alias, the query form
``index.php?…&op=…``), and the duplicate-request filter only sees URLs; the id is what
identifies the article.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

__all__ = ["DedupePipeline"]


class DedupePipeline:
    """Drop a record whose id was already exported in this run (counted, logged)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        article_id = ItemAdapter(item)["id"]
        if article_id in self.seen:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsspider/duplicates")
            raise DropItem(f"duplicate id {article_id} (already exported in this run)", log_level="DEBUG")
        self.seen.add(article_id)
        return item
