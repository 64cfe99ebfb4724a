"""The ``portal`` spider: find a portal's articles and hand every article page to its parser.

Routing only. The site's family parser says which links are categories, listings, pages and
articles; :mod:`newsspider.incremental` says how deep to walk and what to fetch again; the
seen-store says what earlier runs exported. Discovery uses every source a portal offers: the
sitemaps named in robots.txt, the RSS feeds the pages link, and every category listing.

    scrapy crawl portal -a site=NAME           # a portal from sites.toml
    scrapy crawl portal -a url=ROOT [-a family=nukeviet]
    scrapy crawl portal -a site=NAME -a since=2024-01-01 [-a until=2024-06-30]   # backfill
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from twisted.python.failure import Failure

from newsspider.dates import parse_iso
from newsspider.encoding import decode_page, is_utf8
from newsspider.extraction import NotAnArticle, PageContext, article_from_page
from newsspider.extraction_pool import ExtractionFailed, ExtractionPool, extraction_processes
from newsspider.failures import article_not_exported
from newsspider.feeds import DEFAULT_FEED_OPTIONS, DEFAULT_FEED_URI, local_feeds, run_timestamp
from newsspider.incremental import DateWindow, ListingWalk, RefreshPolicy
from newsspider.items import Article
from newsspider.parsers import detect_family, parser_for
from newsspider.parsers.feeds import feed_links, sitemap_entries
from newsspider.robots import robots_sitemaps_found
from newsspider.sites import Site, SiteConfigError, load_sites, make_site, site_name_for_url
from newsspider.state import Seen, SeenStore

if TYPE_CHECKING:
    from newsspider.fleet import FleetRun

__all__ = ["PortalSpider"]


class _NoRecord(Exception):
    """An article page gave no record; ``reason`` is what the failure ledger and health check get."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_ARGUMENTS = frozenset({"site", "url", "family", "since", "until", "refresh", "sites_file"})


class PortalSpider(scrapy.Spider):
    """Crawl one portal: discover its articles, fetch the ones not exported yet, export them."""

    name = "portal"

    def __init__(
        self, site: str | None = None, url: str | None = None, family: str | None = None,
        since: str | None = None, until: str | None = None, refresh: str | None = None,
        sites_file: str | None = None, **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.fleet: FleetRun | None = kwargs.get("fleet")  # the fleet run this worker joined, if any
        self.portal = self.fleet.site if self.fleet else _resolve_site(site, url, family, sites_file)
        self.site = self.portal.name  # read by the feed URI: output/%(site)s/%(run_ts)s.jsonl
        self.run_ts = self.fleet.run_ts if self.fleet else run_timestamp()
        # the portal's domain without "www.": its www. and other subdomains are the portal too
        self.allowed_domains = [self.portal.host.removeprefix("www.")]
        self.family: str | None = self.portal.family
        self.window = DateWindow.parse(since, until)
        self.refresh = RefreshPolicy.parse(refresh)
        self.walk = ListingWalk(self.window)
        self.store: SeenStore | None = None
        self.extraction: ExtractionPool | None = None  # article pages parsed in other processes
        self._requested: set[str] = set()  # article ids asked for in this run
        self._skipped: set[str] = set()  # known article ids not asked for
        self._outside: dict[str, datetime] = {}  # article ids older than the window: sitemap lastmod
        self._robots_sitemaps: list[str] = []

    @classmethod
    def check_arguments(cls, settings: BaseSettings, **arguments: str) -> None:
        """Raise SiteConfigError (a ValueError) for spider arguments that cannot work, typos included."""
        unknown = set(arguments) - _ARGUMENTS
        if unknown:
            raise SiteConfigError(
                f"unknown argument(s) {sorted(unknown)}; the portal spider takes {sorted(_ARGUMENTS)}"
            )
        DateWindow.parse(arguments.get("since"), arguments.get("until"))
        RefreshPolicy.parse(arguments.get("refresh"))
        extraction_processes(settings)
        fleet_worker = settings.get("NEWSSPIDER_REDIS_URL") and not (
            arguments.get("site") or arguments.get("url")
        )
        if not fleet_worker:
            sites_file = arguments.get("sites_file") or settings.get("NEWSSPIDER_SITES_FILE")
            _resolve_site(arguments.get("site"), arguments.get("url"), arguments.get("family"), sites_file)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """Fill the contact into the User-Agent, and give the run its default feed.

        The default feed is added only when no feed is configured, so ``-O file.jsonl`` (or a
        project's own ``FEEDS``) replaces it instead of writing a second copy.
        """
        super().update_settings(settings)
        if settings.get("NEWSSPIDER_REDIS_URL"):  # a fleet worker: scheduler, dupefilter, politeness in Redis
            from newsspider.fleet.settings import apply

            apply(settings)
        user_agent = settings.get("USER_AGENT", "")
        if "{contact}" in user_agent:
            filled = user_agent.replace("{contact}", settings.get("NEWSSPIDER_CONTACT", ""))
            # "spider" priority: the runner merges its own (project) settings in again later
            priority = max(settings.getpriority("USER_AGENT") or 0, SETTINGS_PRIORITIES["spider"])
            settings.set("USER_AGENT", filled, priority=priority)
        if not settings.getdict("FEEDS"):
            settings.set("FEEDS", {DEFAULT_FEED_URI: DEFAULT_FEED_OPTIONS}, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        kwargs.setdefault("sites_file", crawler.settings.get("NEWSSPIDER_SITES_FILE"))
        if crawler.settings.get("NEWSSPIDER_REDIS_URL"):  # join a fleet run (docs/fleet.md)
            from newsspider.fleet import join

            joined = ("site", "url", "family", "sites_file")
            kwargs["fleet"] = join(crawler, **{key: kwargs.get(key) for key in joined})
        spider = super().from_crawler(crawler, *args, **kwargs)
        if crawler.settings.getbool("NEWSSPIDER_INCREMENTAL"):
            state_dir = crawler.settings["NEWSSPIDER_STATE_DIR"]
            fleet = spider.fleet
            spider.store = fleet.seen_store() if fleet else SeenStore.for_site(state_dir, spider.site)
            spider._begin_run(local_feeds(crawler.settings, spider))
        if processes := extraction_processes(crawler.settings):
            spider.extraction = ExtractionPool(processes)
            spider.logger.info(
                "article pages are parsed, cleaned and normalized in %d other process(es)", processes
            )
            crawler.signals.connect(spider._stop_extraction, signal=signals.spider_closed)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_robots_sitemaps, signal=robots_sitemaps_found)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if self.fleet is not None:  # the run's seeds are in its shared queue (newsspider enqueue)
            return
        root = self.portal.url
        yield Request(root, callback=self.parse_root, dont_filter=True)
        for page in self.portal.start_pages:
            yield Request(page, callback=self.parse_listing)

    # -- discovery ------------------------------------------------------------------------

    def parse_root(self, response: Response) -> Iterator[Request]:
        """Recognise the family; queue the sitemaps, and every category listing and feed."""
        page = self._html(response)
        if page is None or (parser := self._parser(page)) is None:
            return
        # robots.txt was read before the root could be fetched; without Sitemap: lines (or with
        # robots.txt not obeyed) the conventional place is tried
        for url in self._robots_sitemaps or [urljoin(page.url, "/sitemap.xml")]:
            yield Request(url, callback=self.parse_sitemap)
        categories = parser.category_urls(page.selector, page.url, **self._options())
        feeds = parser.feed_urls(page.selector, page.url)
        self.logger.info(
            "%s: %s portal, %d categories, %d feeds", self.site, self.family, len(categories), len(feeds)
        )
        if not categories:
            self._count("no_categories")
        for url in feeds:
            yield Request(url, callback=self.parse_feed)
        for url in categories:
            yield Request(url, callback=self.parse_listing)

    def _on_robots_sitemaps(self, sitemaps: list[str]) -> None:
        self._robots_sitemaps.extend(url for url in sitemaps if self._on_portal(url))

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Follow a sitemap index to the news sitemaps; queue the articles a sitemap lists."""
        kind, entries = sitemap_entries(response.body)
        parser = parser_for(self.family) if self.family else None
        for entry in entries:
            if kind == "index":
                if parser is None or parser.wanted_sitemap(entry.loc):
                    yield Request(entry.loc, callback=self.parse_sitemap)
            elif (request := self._article_request(entry.loc, lastmod=entry.lastmod)) is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Queue the articles an RSS or Atom feed lists (its dates are never used)."""
        for url in feed_links(response.body):
            if (request := self._article_request(url)) is not None:
                yield request

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Queue the articles of a listing page, and its next pages when they can hold more."""
        page = self._html(response)
        if page is None or (parser := self._parser(page)) is None:
            return
        urls = parser.listing_article_urls(page.selector, page.url, **self._options())
        next_urls = parser.next_page_urls(page.selector, page.url, **self._options())
        ids = {url: self._article_id(url) for url in urls}
        known = {article_id for url, article_id in ids.items() if article_id and self._seen(article_id, url)}
        for url in urls:
            if (request := self._article_request(url)) is not None:
                yield request
        if self.window.active:
            dated: dict[str, datetime | None] = {}
            waiting: set[str] = set()
            for url, article_id in ids.items():
                if article_id is None:
                    continue
                if article_id in self._requested:  # its date comes with its response
                    waiting.add(article_id)
                elif article_id in self._outside:  # its sitemap lastmod bounds its publish time
                    dated[article_id] = self._outside[article_id]
                else:
                    seen = self._seen(article_id, url) if article_id in known else None
                    dated[article_id] = parse_iso(seen.published_at) if seen else None
            follow = self.walk.page(page.url, next_urls, dated, waiting)
        else:
            follow = self.walk.incremental_next(next_urls, filter(None, ids.values()), known)
        for url in follow:
            yield Request(url, callback=self.parse_listing)

    # -- articles -------------------------------------------------------------------------

    async def parse_article(self, response: Response) -> AsyncIterator[Article | Request]:
        """Turn an article page into its record; the pipelines do the rest."""
        article_id = response.meta.get("article_id")
        try:
            article = await self._article(response)
        except _NoRecord as no_record:
            self._not_exported(response, no_record.reason)
            for request in self._dated(article_id, None):
                yield request
            return
        published = parse_iso(article.published_at)
        for request in self._dated(article_id, published):
            yield request
        if self.window.active and not self.window.contains(published):
            self._count("out_of_window")
            self._not_exported(response, "out_of_window")
            return
        yield article

    async def _article(self, response: Response) -> Article:
        """Return the page's article (raw, or finished by an extraction process); else raise _NoRecord."""
        text = self._text(response)
        if text is None:
            raise _NoRecord("not_html")
        # with extraction processes, the page is read in its real encoding there, not here
        page = text if self.extraction is not None else self._decoded(text)
        if self._parser(page) is None:
            raise _NoRecord("family_unrecognised")
        try:
            if self.extraction is None:
                return article_from_page(
                    page.selector, page.url, site=self.site, family=self.family or "",
                    utc_offset=self.portal.timezone, profile=self._profile(),
                    encoding=page.meta.get("encoding_detected"),
                )  # fmt: skip
            context = PageContext(
                self.site, self.family or "", self.portal.timezone, self._profile(), self.portal.encoding
            )
            article = await self.extraction.article(page.body, page.url, page.encoding, context)
        except NotAnArticle:
            self.logger.warning("not an article page: %s", page.url)
            self._count("not_article")
            raise _NoRecord("not_article") from None
        except ExtractionFailed as failure:
            self.logger.error("%s", failure)
            self._count("extraction_failed")
            raise _NoRecord("extraction_failed") from None
        if article.encoding_detected != page.encoding:  # read there; _decoded counts it in-process
            self._count(f"encoding/{article.encoding_detected}")
        return article

    def _not_exported(self, response: Response, reason: str) -> None:
        """Tell the failure ledger and the health check why an article page gave no record."""
        self.crawler.signals.send_catch_log(article_not_exported, response=response, reason=reason)

    def _article_failed(self, failure: Failure) -> Iterator[Request]:
        request = getattr(failure, "request", None)
        yield from self._dated(request.meta.get("article_id") if request else None, None)

    def _article_request(self, url: str, *, lastmod: datetime | None = None) -> Request | None:
        """Return the request for an article URL, or None when it need not be fetched."""
        article_id = self._article_id(url)
        if article_id is None or not self._on_portal(url):
            return None
        if article_id in self._requested or article_id in self._outside:
            return None
        if lastmod is None and article_id in self._skipped:
            return None
        seen = self._seen(article_id, url)
        if seen is not None and not self.refresh.wants(seen, lastmod, datetime.now(UTC)):
            if article_id not in self._skipped:
                self._skipped.add(article_id)  # until, perhaps, a sitemap says it changed
                self._count("skipped_known")  # made exact when the run closes
            return None
        if lastmod is not None and self.window.before(lastmod):  # publish time <= lastmod < since
            self._outside[article_id] = lastmod
            self._count("out_of_window")
            return None
        if self.fleet is not None and not self.fleet.claim_request(article_id):
            self._requested.add(article_id)  # another worker of the run asked for it
            return None
        self._requested.add(article_id)
        self._count("articles_found")
        meta = {"article_id": article_id, "sitemap_lastmod": lastmod.isoformat() if lastmod else None}
        # dont_filter: article ids are deduplicated above; the URL filter would only keep a
        # fingerprint of every article in memory for the whole run
        return Request(
            url, callback=self.parse_article, errback=self._article_failed, meta=meta, dont_filter=True
        )

    def _dated(self, article_id: str | None, published: datetime | None) -> Iterator[Request]:
        if article_id is not None and self.window.active:
            for url in self.walk.dated(article_id, published):
                yield Request(url, callback=self.parse_listing)

    def closed(self, reason: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("newsspider/skipped_known", len(self._skipped - self._requested))

    async def _stop_extraction(self) -> None:
        assert self.extraction is not None and self.crawler.stats is not None
        await self.extraction.close()
        self.crawler.stats.set_value("newsspider/extraction_restarts", self.extraction.restarts)

    def _on_idle(self) -> None:
        """Nothing left to do but listing pages waiting for article dates: walk on from them."""
        pending = self.walk.release_all()
        assert self.crawler.engine is not None
        for url in pending:
            self.crawler.engine.crawl(Request(url, callback=self.parse_listing))
        if pending:
            raise DontCloseSpider

    # -- helpers --------------------------------------------------------------------------

    def is_blocked(self, url: str) -> bool:
        """Return True for an endpoint of the portal's family that must never be requested."""
        return self.family is not None and parser_for(self.family).is_blocked_url(url)

    def _article_id(self, url: str) -> str | None:
        parser = parser_for(self.family) if self.family else None
        native = parser.article_id(url, **self._options()) if parser else None
        return f"{self.site}:{native}" if native else None

    def _seen(self, article_id: str, url: str) -> Seen | None:
        """Return what earlier runs exported for this article: by id, else by URL (an id read from
        the page, such as WordPress's ``?p=``, may differ from the one its URL gives)."""
        if self.store is None:
            return None
        return self.store.get(article_id) or self.store.get_by_url(url)

    def _profile(self) -> Mapping[str, str] | None:
        return self.portal.profile if self.family == "generic" else None

    def _options(self) -> dict[str, Any]:
        """Keyword arguments for the family parser: a generic site's profile, if it has one."""
        profile = self._profile()
        return {"profile": profile} if profile else {}

    def _parser(self, page: TextResponse) -> ModuleType | None:
        """Return the family parser, recognising the family from ``page`` the first time."""
        self.family = self.family or detect_family(page.selector)
        if self.family is None:
            self.logger.error("%s: no known CMS family recognised; set `family` for the site", page.url)
            self._count("family_unrecognised")
            return None
        return parser_for(self.family)

    def _html(self, response: Response) -> TextResponse | None:
        """Return the page as text in the encoding it really uses, or None when it is not text."""
        text = self._text(response)
        return None if text is None else self._decoded(text)

    def _text(self, response: Response) -> TextResponse | None:
        if not isinstance(response, TextResponse):
            self._count("not_html")
            self.logger.warning("not an HTML page: %s", response.url)
            return None
        return response

    def _decoded(self, response: TextResponse) -> TextResponse:
        """Return the page read in the encoding it really uses (see newsspider.encoding).

        Scrapy's decode is kept when it is clean UTF-8, as nearly every page is; otherwise the
        site's forced encoding, windows-1258, TCVN3 and VNI are weighed against it.
        """
        encoding = self.portal.encoding
        if not encoding and is_utf8(response.encoding) and "\ufffd" not in response.text:
            response.meta["encoding_detected"] = "utf-8"
            return response
        text, detected = decode_page(response.body, response.encoding, encoding)
        response.meta["encoding_detected"] = detected
        if detected != response.encoding:
            self._count(f"encoding/{detected}")
        return response.replace(body=text.encode("utf-8"), encoding="utf-8")

    def _begin_run(self, feeds: list[tuple[str, bool]]) -> None:
        """Recover what an interrupted run wrote, and keep its files from being overwritten."""
        assert self.store is not None
        unfinished = self.store.unfinished_feed_paths(self.run_ts)
        recovered = self.store.begin_run(self.run_ts, [path for path, _ in feeds])
        for path, overwrite in feeds:
            if overwrite and path in unfinished and Path(path).exists():
                aside = Path(path).with_suffix(f".interrupted-{self.run_ts}{Path(path).suffix}")
                Path(path).rename(aside)
                self.logger.warning("kept the interrupted run's output %s as %s", path, aside)
        if recovered:
            self._count("recovered", recovered)

    def _on_portal(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == domain or host.endswith("." + domain) for domain in self.allowed_domains)

    def _count(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"newsspider/{key}", count)


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
