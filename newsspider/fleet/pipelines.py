"""Item pipelines of the fleet: one export per article and run, fleet-wide; UTF-8 for Redis.

:class:`ExportClaim` is the fleet's counterpart of the per-process ``DedupePipeline``: an article
reached under two URLs by two workers is exported by the first to claim its id in Redis. The
claim of a worker that died before writing the record passes to the worker that fetches the
article again, so a kill loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured

from newsspider.fleet.run import FleetRun, enabled
from newsspider.items import record_of

__all__ = ["ExportClaim", "utf8_item_serializer"]


class ExportClaim:
    """Drop a record whose id another live worker of the run claimed (counted as a duplicate)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExportClaim:
        if not enabled(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        fleet = getattr(self.crawler.spider, "fleet", None)
        if not isinstance(fleet, FleetRun):
            return item
        article_id = ItemAdapter(item)["id"]
        if not fleet.claim_export(article_id):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsspider/duplicates")
            raise DropItem(
                f"duplicate id {article_id} (exported by another worker of the run)", log_level="DEBUG"
            )
        return item


def utf8_item_serializer(item: Any) -> str:
    """Serialize an item for scrapy-redis's ``RedisPipeline`` as readable UTF-8 JSON.

    Its default escapes Vietnamese (``\\u1ee9``); set ``REDIS_ITEMS_SERIALIZER`` to this.
    """
    return json.dumps(record_of(item), ensure_ascii=False, default=str)
