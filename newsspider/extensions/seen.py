"""Record every exported article in the seen-store, right after its record is in the feed.

The extension is enabled after Scrapy's feed exporter, so its ``item_scraped`` handler runs
after the record was written (feed files are unbuffered, see ``newsspider.feeds``).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

__all__ = ["RecordExported"]


class RecordExported:
    """Mark exported articles as seen; close the run in the store when the crawl ends."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordExported:
        if not crawler.settings.getbool("NEWSSPIDER_INCREMENTAL"):
            raise NotConfigured  # no message: Scrapy would warn "Disabled …" on every full run
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        store = getattr(spider, "store", None)
        if store is None:
            return
        lastmod = response.meta.get("sitemap_lastmod") if response is not None else None
        is_new = store.record(ItemAdapter(item), spider.run_ts, lastmod=lastmod)  # type: ignore[attr-defined]
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("newsspider/new" if is_new else "newsspider/updated")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        store = getattr(spider, "store", None)
        if store is not None:
            store.end_run(spider.run_ts, reason)  # type: ignore[attr-defined]
            store.close()
