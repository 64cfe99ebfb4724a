"""The ``portal`` spider: walk a news portal's listings and hand every article page to its parser.

Routing only. The site's family parser says which links are categories, listings, pages and
articles; the spider follows them within the portal's host and turns each article page into
an :class:`~newsspider.items.Article` for the pipelines.

    scrapy crawl portal -a site=NAME           # a portal from sites.toml
    scrapy crawl portal -a url=ROOT [-a family=nukeviet]
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
        yield self._request(self.portal.url, self.parse_root, dont_filter=True)
        for page in self.portal.start_pages:
            yield self._request(page, self.parse_listing)

    def parse_root(self, response: Response) -> Iterator[Request]:
        """Recognise the family and queue every category listing the root links."""
        if (response := self._html(response)) is None:
            return
        family = self.portal.family or detect_family(response.selector)
        if family is None:
            self.logger.error("%s: no known CMS family recognised; set `family` for the site",
                              response.url)  # fmt: skip
            self._count("root_unrecognised")
            return
        self.family = family
        categories = parser_for(family).category_urls(response.selector, response.url)
        self.logger.info("%s: %s portal, %d categories", self.site, family, len(categories))
        if not categories:
            self._count("no_categories")
        for url in categories:
            yield self._request(url, self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Queue the articles of a listing page and its other pages."""
        if (response := self._html(response)) is None:
            return
        parser = parser_for(self._family(response))
        for url in parser.listing_article_urls(response.selector, response.url):
            yield self._request(url, self.parse_article)
        for url in parser.next_page_urls(response.selector, response.url):
            yield self._request(url, self.parse_listing)

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Turn an article page into its raw record; the pipelines do the rest."""
        if (response := self._html(response)) is None:
            return
        try:
            yield article_from_page(
                response.selector, response.url, site=self.site,
                family=self._family(response), utc_offset=self.portal.timezone,
            )  # fmt: skip
        except NotAnArticle:
            self.logger.warning("not an article page: %s", response.url)
            self._count("not_article")

    def is_blocked(self, url: str) -> bool:
        """Return True for an endpoint of the portal's family that must never be requested."""
        family = getattr(self, "family", None) or self.portal.family
        return bool(family) and parser_for(family).is_blocked_url(url)

    def _request(self, url: str, callback: Any, *, dont_filter: bool = False) -> Request:
        return Request(url, callback=callback, dont_filter=dont_filter)

    def _html(self, response: Response) -> TextResponse | None:
        """Return the response as text (in the site's forced encoding, if any), or None."""
        if not isinstance(response, TextResponse):
            self._count("not_html")
            self.logger.warning("not an HTML page: %s", response.url)
            return None
        if self.portal.encoding:
            return response.replace(encoding=self.portal.encoding)
        return response

    def _family(self, response: Response) -> str:
        family = getattr(self, "family", None) or self.portal.family
        return family or detect_family(response.selector) or "nukeviet"

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsspider/{key}")


def _resolve_site(
    name: str | None, url: str | None, family: str | None, sites_file: str | None
) -> Site:
    """Return the portal to crawl from the spider arguments, or raise with what is wrong."""
    if name:
        sites = load_sites(sites_file)
        if name not in sites:
            raise SiteConfigError(f"no site named {name!r}; configured: {', '.join(sorted(sites))}")
        base = sites[name]
        if not (url or family):
            return base
        entry = {"url": url or base.url, "family": family or base.family,
                 "start_pages": list(base.start_pages), "timezone": base.timezone,
                 "verified": base.verified, "notes": base.notes}  # fmt: skip
        if base.encoding:
            entry["encoding"] = base.encoding
        return make_site(name, entry)
    if url:
        entry = {"url": url} | ({"family": family} if family else {})
        return make_site(site_name_for_url(url), entry)
    raise SiteConfigError("say which portal to crawl: -a site=NAME or -a url=ROOT_URL")
