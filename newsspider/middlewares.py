"""Downloader middleware that keeps the crawl off endpoints it must never touch.

Parsers only hand out article and listing links, but a redirect, a configured start page or a
future discovery path could still lead to a print, sendmail, savefile, rating or comment
endpoint. Checking every request here, redirects included, makes that impossible.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

__all__ = ["BlockedEndpointsMiddleware"]

logger = logging.getLogger(__name__)


class BlockedEndpointsMiddleware:
    """Refuse requests the spider's family parser calls blocked (counted in the stats)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockedEndpointsMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        is_blocked = getattr(self.crawler.spider, "is_blocked", None)
        if is_blocked is not None and is_blocked(request.url):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsspider/blocked_endpoint")
            referer = request.headers.get("Referer")
            logger.info("refused a blocked endpoint: %s (from %s)", request.url, referer)
            raise IgnoreRequest(f"blocked endpoint: {request.url}")
