"""No request, redirect target included, ever reaches a blocked endpoint."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from newsspider.middlewares import BlockedEndpointsMiddleware
from newsspider.spiders.portal import PortalSpider


@pytest.fixture
def middleware() -> BlockedEndpointsMiddleware:
    crawler = get_crawler(PortalSpider)
    crawler.spider = PortalSpider.from_crawler(crawler, url="http://portal.example/", family="nukeviet")
    crawler.stats.open_spider()
    return BlockedEndpointsMiddleware.from_crawler(crawler)


@pytest.mark.parametrize(
    "url",
    ["http://portal.example/vi/news/print/thoi-su/a-1.html", "http://portal.example/sendmail/x/a-1.html",
     "http://portal.example/savefile/x/a-1.html", "http://portal.example/vi/news/rating/",
     "http://portal.example/comment/post/", "http://portal.example/x/a-1.html?download=1&id=0"],
)  # fmt: skip
def test_blocked_endpoints_are_refused(middleware: BlockedEndpointsMiddleware, url: str) -> None:
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request(url))
    assert middleware.crawler.stats.get_value("newsspider/blocked_endpoint") == 1


def test_articles_and_listings_pass(middleware: BlockedEndpointsMiddleware) -> None:
    assert middleware.process_request(Request("http://portal.example/thoi-su/a-1.html")) is None
    assert middleware.process_request(Request("http://portal.example/thoi-su/page-2/")) is None


def test_the_portal_is_its_domain_with_or_without_www() -> None:
    crawler = get_crawler(PortalSpider)
    spider = PortalSpider.from_crawler(crawler, url="https://www.binhphuoc.gov.vn/")
    assert spider.allowed_domains == ["binhphuoc.gov.vn"]
    assert spider._on_portal("https://binhphuoc.gov.vn/vi/news/a-1.html")  # the root redirected here
    assert spider._on_portal("https://www.binhphuoc.gov.vn/vi/news/a-1.html")
    assert not spider._on_portal("https://binhphuoc.gov.vn.evil.example/a-1.html")
    assert not spider._on_portal("https://baobinhphuoc.com.vn/a-1.html")
