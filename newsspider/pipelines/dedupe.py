"""Dedupe: never export what is already exported.

Within a run, one record per id: the same article is reached under several URLs (a parent
category's alias, the query form ``index.php?…&op=…``), and the duplicate-request filter only
sees URLs. Across runs, an article fetched again (a refresh, a changed sitemap ``lastmod``) is
exported again only if its content hash changed.
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
        adapter = ItemAdapter(item)
        article_id = adapter["id"]
        assert self.crawler.stats is not None
        if article_id in self.seen:
            self.crawler.stats.inc_value("newsspider/duplicates")
            raise DropItem(f"duplicate id {article_id} (already exported in this run)", log_level="DEBUG")
        store = getattr(self.crawler.spider, "store", None)
        exported = store.get(article_id) if store is not None else None
        if store is not None and exported is not None and exported.content_hash == adapter["content_hash"]:
            store.touch(article_id)
            self.crawler.stats.inc_value("newsspider/unchanged")
            raise DropItem(f"{article_id} unchanged since it was exported", log_level="DEBUG")
        self.seen.add(article_id)
        return item
