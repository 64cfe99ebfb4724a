"""robots.txt read once: Scrapy's parser, which also announces the sitemaps the file declares.

Scrapy fetches robots.txt before the first request to a host to obey it. The ``Sitemap:`` lines
of the same file are where an incremental run starts, so rather than fetching the file a second
time, the parser sends :data:`robots_sitemaps_found` with them.
"""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.robotstxt import ProtegoRobotParser

__all__ = ["SitemapAnnouncingRobotParser", "robots_sitemaps_found"]

robots_sitemaps_found = object()  # signal: sitemaps=list[str]


class SitemapAnnouncingRobotParser(ProtegoRobotParser):
    """Scrapy's Protego parser; announces the declared sitemaps when a robots.txt is parsed."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, robotstxt_body: bytes) -> Self:
        parser = super().from_crawler(crawler, robotstxt_body)
        if crawler is not None and crawler.spider is not None:  # not Scrapy's start-up self-check
            sitemaps = list(dict.fromkeys(parser.rp.sitemaps))
            crawler.signals.send_catch_log(robots_sitemaps_found, sitemaps=sitemaps)
        return parser
