"""The ``portal`` spider: walk a news portal's listings and hand every article page to its parser.

Routing only. The site's family parser says which links are categories, listings, pages and
articles; the spider follows them within the portal's host and turns each article page into
an :class:`~newsspider.items.Article` for the pipelines.

    scrapy crawl portal -a site=NAME           # a portal from sites.toml
    scrapy crawl portal -a url=ROOT [-a family=nukeviet]
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import BaseSettings

from newsspider.extraction import NotAnArticle, article_from_page
from newsspider.feeds import DEFAULT_FEED_OPTIONS, DEFAULT_FEED_URI, run_timestamp
from newsspider.items import Article
from newsspider.parsers import detect_family, parser_for
from newsspider.sites import Site, SiteConfigError, load_sites, make_site, site_name_for_url

__all__ = ["PortalSpider"]


class PortalSpider(scrapy.Spider):
    """Crawl one portal: discover its categories, walk every listing page, export articles."""

    name = "portal"

    def __init__(
        self, site: str | None = None, url: str | None = None, family: str | None = None,
        sites_file: str | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.portal = _resolve_site(site, url, family, sites_file)
        self.site = self.portal.name  # read by the feed URI: output/%(site)s/%(run_ts)s.jsonl
        self.run_ts = run_timestamp()
        self.allowed_domains = [self.portal.host]
        self.family: str | None = self.portal.family

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Fill the contact into the User-Agent, and give the run its default feed.

        The default feed is added only when no feed is configured, so ``-O file.jsonl`` (or a
        project's own ``FEEDS``) replaces it instead of writing a second copy.
        """
        super().update_settings(settings)
        user_agent = settings.get("USER_AGENT", "")
        if "{contact}" in user_agent:
            filled = user_agent.replace("{contact}", settings.get("NEWSSPIDER_CONTACT", ""))
            settings.set("USER_AGENT", filled, priority=settings.getpriority("USER_AGENT") or 0)
        if not settings.getdict("FEEDS"):
            settings.set("FEEDS", {DEFAULT_FEED_URI: DEFAULT_FEED_OPTIONS}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        kwargs.setdefault("sites_file", crawler.settings.get("NEWSSPIDER_SITES_FILE"))
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.portal.url, callback=self.parse_root, dont_filter=True)
        for page in self.portal.start_pages:
            yield Request(page, callback=self.parse_listing)

    def parse_root(self, response: Response) -> Iterator[Request]:
        """Recognise the family and queue every category listing the root links."""
        page = self._html(response)
        if page is None or (parser := self._parser(page)) is None:
            return
        categories = parser.category_urls(page.selector, page.url)
        self.logger.info("%s: %s portal, %d categories", self.site, self.family, len(categories))
        if not categories:
            self._count("no_categories")
        for url in categories:
            yield Request(url, callback=self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Queue the articles of a listing page and its other pages."""
        page = self._html(response)
        if page is None or (parser := self._parser(page)) is None:
            return
        for url in parser.listing_article_urls(page.selector, page.url):
            yield Request(url, callback=self.parse_article)
        for url in parser.next_page_urls(page.selector, page.url):
            yield Request(url, callback=self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Turn an article page into its raw record; the pipelines do the rest."""
        page = self._html(response)
        if page is None or self._parser(page) is None:
            return
        assert self.family is not None
        try:
            yield article_from_page(
                page.selector, page.url, site=self.site, family=self.family, utc_offset=self.portal.timezone
            )
        except NotAnArticle:
            self.logger.warning("not an article page: %s", page.url)
            self._count("not_article")

    def is_blocked(self, url: str) -> bool:
        """Return True for an endpoint of the portal's family that must never be requested."""
        return self.family is not None and parser_for(self.family).is_blocked_url(url)

    def _parser(self, page: TextResponse) -> ModuleType | None:
        """Return the family parser, recognising the family from ``page`` the first time."""
        self.family = self.family or detect_family(page.selector)
        if self.family is None:
            self.logger.error("%s: no known CMS family recognised; set `family` for the site", page.url)
            self._count("family_unrecognised")
            return None
        return parser_for(self.family)

    def _html(self, response: Response) -> TextResponse | None:
        """Return the response as text (in the site's forced encoding, if any), or None."""
        if not isinstance(response, TextResponse):
            self._count("not_html")
            self.logger.warning("not an HTML page: %s", response.url)
            return None
        if self.portal.encoding:
            return response.replace(encoding=self.portal.encoding)
        return response

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsspider/{key}")


def _resolve_site(name: str | None, url: str | None, family: str | None, sites_file: str | None) -> Site:
    """Return the portal to crawl from the spider arguments, or raise with what is wrong."""
    overrides = {key: value for key, value in {"url": url, "family": family}.items() if value}
    if name:
        sites = load_sites(sites_file)
        if name not in sites:
            raise SiteConfigError(f"no site named {name!r}; configured: {', '.join(sorted(sites))}")
        return make_site(name, sites[name].entry() | overrides) if overrides else sites[name]
    if url:
        return make_site(site_name_for_url(url), overrides)
    raise SiteConfigError("say which portal to crawl: -a site=NAME or -a url=ROOT_URL")
