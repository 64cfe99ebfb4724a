"""A synthetic, mutable NukeViet portal served over real HTTP on 127.0.0.1.

Incremental-crawl tests add and edit articles between crawl runs; benchmarks need a portal of
10,000–100,000 articles. Both get pages cut from the bundled NukeViet 4.5 capture
(``demo/site``, see ``_templates.py``) with only the article- and listing-specific parts
substituted, so the real parser reads them exactly as it reads a live portal. The site is a
single-language one with short URLs (like ``egov-short``):

- ``/`` and ``/page-N/`` (module home), ``/{cat}/`` and ``/{cat}/page-N/``: newest first by
  ``published``; ``page-1`` and pages past the last answer 301 to the first page;
- ``/{cat}/{alias}-{id}.html``: the article; another alias or category answers 301 to the
  canonical URL; an unknown id or a scheduled article (``published`` in the future) 404;
- ``/rss/``, ``/rss/{cat}/`` (RSS 2.0 with the 4.3–4.5 ``pubDate`` bug), ``/sitemap.xml``,
  ``/sitemap-vi.news.xml`` (the newest ``sitemap_items``), ``/sitemap-vi.about.xml``, ``/robots.txt``.

Usage::

    portal = SyntheticPortal(generate_articles(50), now=lambda: clock)
    with SyntheticPortalServer(portal) as server:
        crawl(server.url("/"))
        portal.edit(7, body_html="<p>Đã sửa.</p>")

    python3 -m newsspider.demo.synthetic --articles 10000 --port 8090
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import dataclasses
import functools
import html
import json
import random
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from newsspider.demo import _templates as tpl
from newsspider.demo.loopback import Headers, LoopbackServer
from newsspider.demo.server import DEMO_SITE_DIR

__all__ = [
    "DEFAULT_CATEGORIES",
    "SyntheticArticle",
    "SyntheticPortal",
    "SyntheticPortalServer",
    "VN",
    "generate_articles",
    "slugify",
]

Response = tuple[int, Headers, bytes]

VN = timezone(timedelta(hours=7))
"""The zone every time is shown in (the pages say ``nv_my_ofs=7``)."""

_CATEGORY_ROWS = json.loads((DEMO_SITE_DIR / "urls.json").read_text(encoding="utf-8"))["categories"]
DEFAULT_CATEGORIES: dict[str, str] = {
    row["alias"]: row["title"]
    for top in _CATEGORY_ROWS
    if top["parent_id"] == 0
    for row in [top, *(child for child in _CATEGORY_ROWS if child["parent_id"] == top["id"])]
}
"""The 7 categories of the demo portal, alias -> title, in NukeViet's order (parents, then children)."""

_HTML = "text/html; charset=utf-8"
_XML = "text/xml; charset=utf-8"
_MODULE_TITLE = "Tin Tức"
_ARTICLE = re.compile(r"/([^/]+)/(?:([^/]*)-)?(\d+)\.html")
_HOME = re.compile(r"/(?:page-(\d+)/)?")
_CATEGORY = re.compile(r"/([^/]+)/(?:page-(\d+)/)?")
_FEED = re.compile(r"/rss/(?:([a-z0-9-]+)/)?")


@functools.lru_cache(maxsize=1 << 18)
def slugify(text: str) -> str:
    """NukeViet's alias of a title: ASCII, diacritics stripped (``đ`` -> ``d``), lower case, dashes."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@dataclass
class SyntheticArticle:
    """One article of the synthetic portal (``category`` is an alias such as ``"kinh-te"``)."""

    id: int
    category: str
    title: str
    summary: str
    body_html: str
    published: datetime  # timezone-aware
    modified: datetime | None = None
    author: str = ""
    source: str | None = None
    views: int = 0

    @property
    def alias(self) -> str:
        """ASCII slug of the title, as in the article URL ``/{category}/{alias}-{id}.html``."""
        return slugify(self.title)

    @property
    def path(self) -> str:
        """The canonical path, without the leading slash."""
        return f"{self.category}/{self.alias}-{self.id}.html"


def _order(article: SyntheticArticle) -> tuple[datetime, int]:
    return article.published, article.id


@functools.cache
def _gold() -> tuple[dict, ...]:
    with (DEMO_SITE_DIR / "gold.jsonl").open(encoding="utf-8") as lines:
        rows = (json.loads(line) for line in lines if line.strip())
        return tuple(row for row in rows if row["visible"])


def generate_articles(
    n: int,
    *,
    start: datetime | None = None,
    step: timedelta = timedelta(hours=7),
    seed: int = 0,
    categories: Mapping[str, str] = DEFAULT_CATEGORIES,
) -> list[SyntheticArticle]:
    """``n`` deterministic articles with ids 1..n, published every ``step`` from ``start``.

    Texts (title, summary, body, author, source) come from the demo portal's ``gold.jsonl``,
    picked by ``seed``; the title gets the article number appended so every title and alias is
    unique. Categories are assigned round-robin. ``start`` defaults to 2019-01-01 08:00 +07:00;
    note that with the default step 10,000 articles reach past late 2026, and a portal hides
    articles published after its ``now()`` (scheduled), so pick ``step`` or ``now`` to suit.
    """
    start = start or datetime(2019, 1, 1, 8, 0, tzinfo=VN)
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    gold, aliases, rng = _gold(), list(categories), random.Random(seed)
    articles = []
    for number in range(1, n + 1):
        text = gold[rng.randrange(len(gold))]
        articles.append(
            SyntheticArticle(
                id=number,
                category=aliases[(number - 1) % len(aliases)],
                title=f"{text['title']} ({number})",
                summary=text["summary"],
                body_html=text["body_html"],
                published=start + (number - 1) * step,
                author=text["author"] or "",
                source=text["source"] or None,
                views=rng.randrange(5000),
            )
        )
    return articles


def _hometext(summary: str) -> str:
    return tpl.esc(summary).replace("\n", "<br />")


def _iso(moment: datetime) -> str:
    return moment.astimezone(VN).isoformat(timespec="seconds")


def _redirect(location: str) -> Response:
    return (
        301,
        [("Content-Type", "text/html; charset=UTF-8"), ("Location", location), ("Content-Length", "0")],
        b"",
    )


def _ok(body: str | bytes, content_type: str = _HTML, status: int = 200) -> Response:
    data = body.encode() if isinstance(body, str) else body
    return status, [("Content-Type", content_type), ("Content-Length", str(len(data)))], data


class SyntheticPortal:
    """The articles of a NukeViet portal and the pages it answers; safe to use from many threads.

    Articles are kept sorted by ``(published, id)`` overall and per category, with an id index;
    a request costs a bisection (what is published by ``now()``) and a slice, never a scan.
    ``lastmod_tracks_edits=False`` gives real NukeViet's sitemap, whose ``lastmod`` is always
    the publish time.
    """

    def __init__(
        self,
        articles: Iterable[SyntheticArticle] = (),
        *,
        categories: Mapping[str, str] = DEFAULT_CATEGORIES,
        per_page: int = 20,
        rss_items: int = 30,
        sitemap_items: int = 1000,
        lastmod_tracks_edits: bool = True,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.categories = dict(categories)
        self.per_page, self.rss_items, self.sitemap_items = per_page, rss_items, sitemap_items
        self.lastmod_tracks_edits = lastmod_tracks_edits
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._by_id: dict[int, SyntheticArticle] = {}
        for article in articles:
            self._check(article)
            self._by_id[article.id] = article
        self._all = sorted(self._by_id.values(), key=_order)
        self._by_category: dict[str, list[SyntheticArticle]] = {alias: [] for alias in self.categories}
        for article in self._all:
            self._by_category[article.category].append(article)
        self._feeds = tpl.FEED_LINK.format(href="/rss/", title=_MODULE_TITLE) + "".join(
            tpl.FEED_LINK.format(href=f"/rss/{alias}/", title=tpl.esc(f"{_MODULE_TITLE} - {title}"))
            for alias, title in self.categories.items()
        )
        self._menu = "".join(
            tpl.MENU_ITEM.format(alias=a, title=tpl.esc(t)) for a, t in self.categories.items()
        )

    # -- mutation -------------------------------------------------------------------------------

    def add(self, article: SyntheticArticle) -> None:
        """Publish ``article`` (scheduled if its ``published`` is after ``now()``)."""
        self._check(article)
        with self._lock:
            if article.id in self._by_id:
                raise ValueError(f"article id {article.id} already exists")
            self._insert(article)

    def edit(self, article_id: int, **changes: object) -> SyntheticArticle:
        """Change fields of an article; ``modified`` is set to ``now()`` unless given. Returns it."""
        if "id" in changes:
            raise ValueError("an article's id cannot change")
        changes.setdefault("modified", self.now())
        with self._lock:
            old = self._by_id[article_id]
            new = dataclasses.replace(old, **changes)  # type: ignore[arg-type]
            self._check(new)
            self._remove(old)
            self._insert(new)
        return new

    def get(self, article_id: int) -> SyntheticArticle:
        """The current version of an article (``KeyError`` if unknown)."""
        return self._by_id[article_id]

    def __len__(self) -> int:
        return len(self._by_id)

    def _check(self, article: SyntheticArticle) -> None:
        if article.category not in self.categories:
            raise ValueError(f"unknown category {article.category!r}")
        if article.published.tzinfo is None or (article.modified and article.modified.tzinfo is None):
            raise ValueError("article times must be timezone-aware")

    def _insert(self, article: SyntheticArticle) -> None:
        self._by_id[article.id] = article
        bisect.insort(self._all, article, key=_order)
        bisect.insort(self._by_category[article.category], article, key=_order)

    def _remove(self, article: SyntheticArticle) -> None:
        for articles in (self._all, self._by_category[article.category]):
            index = bisect.bisect_left(articles, _order(article), key=_order)
            assert articles[index] is article
            del articles[index]

    # -- answering ------------------------------------------------------------------------------

    def _newest(self, articles: list[SyntheticArticle], skip: int, count: int) -> tuple[list, int]:
        """The published articles ``skip``..``skip+count`` newest first, and how many are published."""
        visible = bisect.bisect_right(articles, (self.now(), float("inf")), key=_order)
        top = visible - skip
        return (articles[max(top - count, 0) : max(top, 0)][::-1], visible)

    def respond(self, target: str, origin: str) -> Response:
        """``(status, headers, body)`` for a request target, absolute URLs on ``origin``."""
        path = target.split("?", 1)[0].split("#", 1)[0]
        if path == "/robots.txt":
            return _ok(tpl.robots_txt(origin), "text/plain; charset=utf-8")
        if path == "/sitemap.xml":
            return _ok(self._sitemap_index(origin), _XML)
        if path == "/sitemap-vi.about.xml":
            return _ok(tpl.SITEMAP_ABOUT.render({"origin": origin}), _XML)
        if path == "/sitemap-vi.news.xml":
            return _ok(self._news_sitemap(origin), _XML)
        if (match := _FEED.fullmatch(path)) and (match[1] is None or match[1] in self.categories):
            return _ok(self._feed(origin, match[1]), _XML)
        if match := _HOME.fullmatch(path):
            return self._listing(origin, None, int(match[1] or 1), explicit=match[1] is not None)
        if (match := _CATEGORY.fullmatch(path)) and match[1] in self.categories:
            return self._listing(origin, match[1], int(match[2] or 1), explicit=match[2] is not None)
        if match := _ARTICLE.fullmatch(path):
            return self._article(origin, path, int(match[3]))
        if path.strip("/") in self.categories:  # Apache adds the directory slash
            return _redirect(f"{origin}/{path.strip('/')}/")
        return _ok(tpl.NOT_FOUND.render({"origin": origin}), status=404)

    def _article(self, origin: str, path: str, article_id: int) -> Response:
        with self._lock:
            article = self._by_id.get(article_id)
            now = self.now()
        if article is None:
            return _ok(tpl.NOT_FOUND.render({"origin": origin}), status=404)
        if article.published > now:
            return _ok(tpl.SCHEDULED.render({"origin": origin}), status=404)
        if path != "/" + article.path:
            return _redirect("/" + article.path)
        return _ok(self.render_article(article, origin))

    def render_article(self, article: SyntheticArticle, origin: str) -> str:
        """The detail page of ``article`` (as served, whether or not it is published)."""
        published = article.published.astimezone(VN)
        modified = (article.modified or article.published).astimezone(VN)
        credits = "".join(
            tpl.CREDIT.format(label=label, value=tpl.esc(value))
            for label, value in (("Tác giả", article.author), ("Nguồn tin", article.source or ""))
            if value
        )
        category_title = self.categories[article.category]
        return tpl.ARTICLE.render(
            {
                "origin": origin,
                "path": article.path,
                "title": tpl.esc(article.title),
                "description": tpl.esc(" ".join(article.summary.split())),
                "og_published": tpl.og_time(published),
                "og_modified": tpl.og_time(modified),
                "section": tpl.esc(category_title),
                "schema_author": tpl.esc(article.author or tpl.SITE_NAME),
                "schema_date": _iso(max(published, modified)),
                "visible_time": tpl.visible_time(published),
                "views": f"{article.views:,}".replace(",", "."),
                "hometext": _hometext(article.summary),
                "body": article.body_html,
                "credits": credits,
                "feeds": self._feeds,
                "crumbs": tpl.CRUMB.format(alias=article.category, title=tpl.esc(category_title)),
                "menu": self._menu,
                "func": "detail",
            }
        )

    def _listing(self, origin: str, category: str | None, page: int, explicit: bool) -> Response:
        base = f"/{category}/" if category else "/"
        with self._lock:
            source = self._by_category[category] if category else self._all
            items, total = self._newest(source, (page - 1) * self.per_page, self.per_page)
        pages = max(1, -(-total // self.per_page))
        if (explicit and page < 2) or page > pages:
            return _redirect(base)
        name = self.categories[category] if category else _MODULE_TITLE
        title = name if page == 1 else f"{name} - Trang {page}"
        if category is None and page == 1:
            title = tpl.SITE_NAME
        description = name if category else tpl.SITE_DESCRIPTION
        listed = "".join(
            tpl.LIST_ITEM.format(
                path=article.path,
                summary=tpl.esc(" ".join(article.summary.split())),
                title=tpl.esc(article.title),
                number=(page - 1) * self.per_page + number,
            )
            for number, article in enumerate(items, 1)
        )
        main = f'<div class="list-group">\n\t{listed}</div>\n'
        if pages > 1:
            main += f'\n<div class="text-center">\n\t{tpl.pagination(name, base, page, pages)}\n</div>'
        body = tpl.LISTING.render(
            {
                "origin": origin,
                "page_title": tpl.esc(title),
                "description": tpl.esc(description + (f" {page}" if page > 1 else "")),
                "page_path": base if page == 1 else f"{base}page-{page}/",
                "feeds": self._feeds,
                "crumbs": tpl.CRUMB.format(alias=category, title=tpl.esc(name)) if category else "",
                "menu": self._menu,
                "main": main,
                "func": "viewcat" if category else "main",
            }
        )
        return _ok(body)

    def _feed(self, origin: str, category: str | None) -> str:
        with self._lock:
            source = self._by_category[category] if category else self._all
            items, _ = self._newest(source, 0, self.rss_items)
            now = self.now()
        newest = items[0].published if items else now
        channel = tpl.RSS_CHANNEL.render(
            {
                "origin": origin,
                "title": tpl.esc(
                    f"{_MODULE_TITLE} - {self.categories[category]}" if category else _MODULE_TITLE
                ),
                "link": f"/{category}/" if category else "/",
                "self": f"/rss/{category}/" if category else "/rss/",
                "description": self.categories[category] if category else tpl.SITE_DESCRIPTION,
                "build_date": tpl.rss_date(newest),
            }
        )
        rendered = (
            tpl.RSS_ITEM.render(
                {
                    "title": html.escape(article.title, quote=False),
                    "link": f"{origin}/{article.path}",
                    "id": str(article.id),
                    "pub_date": tpl.rss_date(article.published),
                    "description": _hometext(article.summary),
                }
            )
            for article in items
        )
        return channel + "".join(rendered) + tpl.RSS_END

    def _sitemap_index(self, origin: str) -> str:
        entries = "".join(
            f"<sitemap><loc>{origin}/{name}</loc></sitemap>"
            for name in ("sitemap-vi.about.xml", "sitemap-vi.news.xml")
        )
        return tpl.SITEMAP_INDEX_HEAD.replace("\x00origin\x00", origin) + entries + "</sitemapindex>"

    def _news_sitemap(self, origin: str) -> str:
        with self._lock:
            items, _ = self._newest(self._all, 0, self.sitemap_items)
        urls = "".join(
            tpl.SITEMAP_URL.format(
                loc=f"{origin}/{article.path}",
                lastmod=_iso(
                    article.modified if self.lastmod_tracks_edits and article.modified else article.published
                ),
            )
            for article in items
        )
        return tpl.SITEMAP_URLSET_HEAD.replace("\x00origin\x00", origin) + urls + "</urlset>"


class SyntheticPortalServer(LoopbackServer):
    """A :class:`SyntheticPortal` served on 127.0.0.1 (see :class:`LoopbackServer`)."""

    blocking_respond = False  # a bisection and a page render: answered on the server's loop

    def __init__(self, portal: SyntheticPortal, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.portal = portal

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        return self.portal.respond(target, self.origin)


def main(argv: list[str] | None = None) -> None:
    """Serve a generated portal in the foreground; prints its origin on the first stdout line."""
    parser = argparse.ArgumentParser(description="Serve a synthetic NukeViet portal over HTTP.")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--per-page", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--step-minutes", type=float, help="minutes between articles (default: fit before today)"
    )
    args = parser.parse_args(argv)
    start = datetime(2019, 1, 1, 8, 0, tzinfo=VN)
    # Keep every article in the past: the default 7 h step runs past today after ~10,000 articles.
    span = datetime.now(UTC) - timedelta(days=1) - start
    step = min(timedelta(hours=7), span / max(args.articles, 1))
    if args.step_minutes:  # the same step for portals of different sizes: the same first articles
        step = timedelta(minutes=args.step_minutes)
    articles = generate_articles(args.articles, start=start, step=step, seed=args.seed)
    portal = SyntheticPortal(articles, per_page=args.per_page)
    with SyntheticPortalServer(portal, args.host, args.port) as server:
        print(server.origin, flush=True)
        print(
            f"Serving {len(portal)} synthetic articles at {server.origin}/ (Ctrl-C to stop)", file=sys.stderr
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
