"""The portal spider with a no-op article callback: Scrapy's own ceiling for bench/crawl.py.

Run by ``bench/crawl.py`` as ``scrapy runspider bench/noop_spider.py -a url=…``: the same
discovery, the same requests through the same downloader stack as ``scrapy crawl portal``, but
article pages are fetched and dropped (no parse, no item, no pipeline).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from newsspider.spiders.portal import PortalSpider


class NoopArticleSpider(PortalSpider):
    """The portal spider, with article pages fetched and dropped."""

    name = "portal-noop"

    def parse_article(self, response: Any) -> Iterator[Any]:
        return iter(())
