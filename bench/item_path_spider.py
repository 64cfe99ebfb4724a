"""The portal spider with extraction taken away: a measure of Scrapy's item path for bench/crawl.py.

Run by ``bench/crawl.py`` as ``scrapy runspider bench/item_path_spider.py -a url=…`` with one
extraction process. The first article page is extracted as usual (in that process); every other
one yields a copy of that record under the page's own URL, id and content hash. So each article
still goes through validation, deduplication, the JSON Lines feed and the extensions, but no page
is parsed, cleaned or normalized: what is left is what a full crawl costs beyond the no-op one
before any extraction, and its throughput is the most any full crawl could reach.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

from newsspider.dates import parse_iso
from newsspider.items import Article
from newsspider.spiders.portal import PortalSpider


class ItemPathSpider(PortalSpider):
    """The portal spider, yielding a copy of its first record for every later article page."""

    name = "portal-item-path"
    template: Article | None = None

    async def parse_article(self, response: Any) -> AsyncIterator[Any]:
        if self.template is None:
            async for output in super().parse_article(response):
                if isinstance(output, Article):
                    self.template = output
                yield output
            return
        published = parse_iso(self.template.published_at)
        for request in self._dated(response.meta.get("article_id"), published):  # as parse_article
            yield request
        digest = hashlib.sha256(response.url.encode()).hexdigest()
        native_id = digest[:12]
        yield Article(**vars(self.template) | {
            "id": f"{self.template.site}:{native_id}", "native_id": native_id, "url": response.url,
            "content_hash": f"sha256:{digest}",
        })  # fmt: skip
