"""The NukeViet family: what a page of a NukeViet 4.x portal says.

Pure functions over a ``parsel.Selector`` and the page URL; no Scrapy, no I/O. They answer the
spider's questions (is this NukeViet, is this an article, which listings and articles does it
link) and return an article's raw fields. Markup facts behind every selector are in
``shared/research/nukeviet.md`` §1–§2; both the stock ``default`` theme and the eGov look are
handled.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from parsel import Selector, SelectorList

from newsspider.dates import parse_date, tz_from_offset_hours
from newsspider.text.html import element_text

__all__ = [
    "EXTRACTOR",
    "article_id",
    "category_urls",
    "feed_urls",
    "is_article_page",
    "is_blocked_url",
    "is_nukeviet",
    "listing_article_urls",
    "next_page_urls",
    "page_vars",
    "parse_article",
    "wanted_sitemap",
]

EXTRACTOR = "nukeviet/1"

_NV_VAR = re.compile(r"\bnv_(\w+)\s*=\s*(\"[^\"]*\"|-?[\d.]+)")
_ARTICLE_TAIL = re.compile(r"/[^/?#]+-(\d+)\.html$")
_PAGE_TAIL = re.compile(r"/page-\d+/?$")
_MODULE_SITEMAP = re.compile(r"/sitemap-[a-z]{2}\.([\w-]+)\.xml$")
# Endpoints a crawler must never request: popups, downloads, votes, comment posting, accounts,
# and search (an infinite URL space).
_BLOCKED_SEGMENTS = frozenset(
    {
        "print", "sendmail", "savefile", "rating", "comment", "instant-rss", "users", "admin",
        "statistics", "banners", "contact", "voting", "search", "seek",
    }
)  # fmt: skip
# Path segments that are never an article or a category listing (feeds and sitemaps are read,
# but as discovery sources; tag and topic pages repeat the category listings).
_NON_ARTICLE_SEGMENTS = _BLOCKED_SEGMENTS | {
    "rss", "tag", "topic", "groups", "author", "feeds", "sitemap", "siteterms", "about",
}  # fmt: skip
_VISIBLE_TIME = re.compile(r"\d{1,2}/\d{1,2}/\d{4}(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?")
_RATING = re.compile(r"(\d+)\D+?(\d+)")
_SOURCE_LABELS = ("nguồn tin",)
_AUTHOR_LABELS = ("tác giả", "tác giả bài viết")


def page_vars(sel: Selector) -> dict[str, str]:
    """Return the ``nv_*`` variables NukeViet prints in an inline <head> script."""
    for script in sel.xpath("//script[not(@src)][contains(., 'nv_base_siteurl')]/text()").getall():
        return {name: value.strip('"') for name, value in _NV_VAR.findall(script)}
    return {}


def is_nukeviet(sel: Selector) -> bool:
    """Return True when the page carries NukeViet's generator tag or its inline nv_* script."""
    generator = sel.xpath("//meta[@name='generator']/@content").get("")
    return generator.lower().startswith("nukeviet") or "module_name" in page_vars(sel)


def is_article_page(sel: Selector) -> bool:
    """Return True for a news detail page (``nv_func_name == "detail"`` or its body container)."""
    if page_vars(sel).get("func_name") == "detail":
        return True
    return bool(sel.css("#news-bodyhtml, div.news_column div.bodytext"))


def article_id(url: str) -> str | None:
    """Return the article id in a NukeViet article URL (short, module, language or query form)."""
    if is_blocked_url(url) or _segments(url) & _NON_ARTICLE_SEGMENTS:
        return None
    match = _ARTICLE_TAIL.search(_route(url))
    return match.group(1) if match else None


def is_blocked_url(url: str) -> bool:
    """Return True for endpoints a crawler must never request (print, sendmail, rating …)."""
    query = parse_qs(urlsplit(url).query)
    if "download" in query or "pdf" in query or "nvvithemever" in query:
        return True
    return bool(_segments(url) & _BLOCKED_SEGMENTS)


def category_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the news module's category listings, read from the page's RSS alternates.

    Every news page links one feed per category (``…/rss/{cat}/``) next to the module feed
    (``…/rss/``); the listing of a category is the same route without ``rss/``. That holds for
    every URL form (short, module, language, ``/index.php/`` prefix, ``?nv=news&op=rss/{cat}``).
    """
    urls: list[str] = []
    for href in sel.xpath("//link[@rel='alternate'][contains(@type, 'rss')]/@href").getall():
        feed = urljoin(page_url, href)
        base, marker, category = ("/" + _route(feed).lstrip("/")).partition("/rss/")
        if marker and category.strip("/"):
            urls.append(_with_route(feed, f"{base}/{category.strip('/')}/"))
    return list(dict.fromkeys(urls))


def feed_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the RSS feeds a news page links: the module feed and one per category."""
    hrefs = sel.xpath("//link[@rel='alternate'][contains(@type, 'rss')]/@href").getall()
    return list(dict.fromkeys(urljoin(page_url, href) for href in hrefs))


def wanted_sitemap(url: str) -> bool:
    """Return False for the sitemaps of modules that hold no news (``sitemap-vi.about.xml`` …)."""
    match = _MODULE_SITEMAP.search(urlsplit(url).path)
    return not match or match.group(1) not in _NON_ARTICLE_SEGMENTS


def listing_article_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the article links of a listing page's main column, in page order."""
    main = _main_column(sel)
    urls = (urljoin(page_url, href) for href in main.xpath(".//a/@href").getall())
    return list(dict.fromkeys(url for url in urls if article_id(url) and _same_host(url, page_url)))


def next_page_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the pagination links (``…/page-N/``) of a listing page."""
    hrefs = sel.css("ul.pagination a::attr(href)").getall()
    urls = (urljoin(page_url, href) for href in hrefs if not href.startswith("javascript"))
    return list(dict.fromkeys(url for url in urls if _PAGE_TAIL.search(_route(url))))


def parse_article(sel: Selector, url: str, *, default_utc_offset: float = 7) -> dict[str, Any]:
    """Return the raw fields of an article page; values are as shown, not yet normalized."""
    variables = page_vars(sel)
    offset = float(variables.get("my_ofs", default_utc_offset))
    article = sel.css("div.news_column[itemtype*='NewsArticle'], div.news_column.newsdetail")[:1]
    scope = article or sel
    body = scope.css("#news-bodyhtml") or scope.css("div.bodytext")
    canonical = sel.xpath("//link[@rel='canonical']/@href").get()
    published_raw = _published_raw(scope)
    published = parse_date(published_raw, tz=tz_from_offset_hours(offset)) if published_raw else None
    modified_raw = scope.xpath(".//*[@itemprop='dateModified']/text()").get()
    breadcrumbs = _texts(sel.css("ul.temp-breadcrumbs [itemprop='name']"))
    counters = _meta_counters(scope)
    return {
        "native_id": article_id(canonical or "") or article_id(url),
        "canonical_url": urljoin(url, canonical) if canonical else None,
        "title": _first_text(scope.css("h1[itemprop='headline'], h1.title"))
        or sel.xpath("//meta[@property='og:title']/@content").get(),
        "summary": _first_text(scope.css("div.hometext, #hometext")),
        "body_html": "".join(body[:1].xpath("node()").getall()) if body else None,
        "published_at": published.isoformat() if published else None,
        "published_at_raw": published_raw,
        "modified_at": modified_raw.strip() if modified_raw else None,
        "modified_at_raw": modified_raw.strip() if modified_raw else None,
        "authors": [value] if (value := _labelled(scope, _AUTHOR_LABELS)) else [],
        "source": _labelled(scope, _SOURCE_LABELS),
        "source_url": _source_url(scope, url),
        "category": breadcrumbs[-1] if len(breadcrumbs) > 1 else _meta(sel, "article:section"),
        "breadcrumbs": breadcrumbs,
        "tags": _tags(sel),
        "images": _lead_images(sel, scope, url) + _body_images(body, url),
        "attachments": _attachments(scope, url),
        "view_count": counters.get("fa-eye"),
        "comment_count": counters.get("fa-comment-o"),
        "rating": _rating(sel),
        "language": variables.get("lang_data") or sel.xpath("/html/@lang").get(),
    }


def _segments(url: str) -> set[str]:
    """Return the path segments of a URL, and of the ``op`` of the query form."""
    parts = urlsplit(url)
    return set(parts.path.split("/") + parse_qs(parts.query).get("op", [""])[0].split("/"))


def _route(url: str) -> str:
    """Return the route of a URL: its path, or the ``op`` of the query form (``index.php?op=…``)."""
    parts = urlsplit(url)
    if parts.path.endswith("/index.php"):
        return "/" + parse_qs(parts.query).get("op", [""])[0]
    return parts.path


def _with_route(url: str, route: str) -> str:
    """Return ``url`` with its route replaced, keeping its form (path, or ``op`` parameter)."""
    parts = urlsplit(url)
    if parts.path.endswith("/index.php"):
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        query["op"] = route.strip("/")
        return parts._replace(query=urlencode(query, safe="/")).geturl()
    return parts._replace(path=route, query="").geturl()


def _main_column(sel: Selector) -> Selector | SelectorList[Selector]:
    """Return the listing's main column: the grid column that holds the pagination or list."""
    anchors = sel.css("ul.pagination, div.list-group, div.news_column, div.viewcat")
    for anchor in anchors[:1]:
        column = anchor.xpath("ancestor::div[contains(concat(' ', @class), ' col-')][1]")
        if column:
            return column
    return sel


def _same_host(url: str, other: str) -> bool:
    return urlsplit(url).netloc == urlsplit(other).netloc


def _first_text(nodes: SelectorList[Selector]) -> str | None:
    for node in nodes[:1]:
        return element_text(node.root) or None
    return None


def _texts(nodes: SelectorList[Selector]) -> list[str]:
    return [text for node in nodes if (text := element_text(node.root))]


def _meta(sel: Selector, prop: str) -> str | None:
    return sel.xpath(f"//meta[@property='{prop}']/@content").get()


def _published_raw(scope: Selector | SelectorList[Selector]) -> str | None:
    """Return the visible publish time: the first time-bearing ``span.h5`` of the header row."""
    for text in scope.css(".panel-body > .row span.h5, em.time, .newsdetailmetatop span").getall():
        plain = element_text(Selector(text).root)
        if _VISIBLE_TIME.search(plain):
            return plain
    return None


def _meta_counters(scope: Selector | SelectorList[Selector]) -> dict[str, int]:
    """Return the eGov header counters keyed by their icon (views ``fa-eye``, comments …)."""
    counters: dict[str, int] = {}
    for span in scope.css(".newsdetailmetatop span.h5"):
        icon = span.css("i::attr(class), em::attr(class)").get("")
        digits = re.sub(r"\D", "", "".join(span.xpath("text()").getall()))
        for name in ("fa-eye", "fa-comment-o"):
            if name in icon.split() and digits:
                counters[name] = int(digits)  # "1.234" is 1234: dots group thousands
    return counters


def _labelled(scope: Selector | SelectorList[Selector], labels: tuple[str, ...]) -> str | None:
    """Return the value of a ``<p class="h5 text-right"><strong>Label: </strong>value</p>`` line."""
    for line in scope.css("p.text-right"):
        label = line.css("strong::text").get("").strip().rstrip(":").strip().lower()
        if label in labels:
            value = " ".join(line.xpath("text() | *[not(self::strong)]//text()").getall())
            return " ".join(value.split()) or line.css("img::attr(alt)").get()
    return None


def _source_url(scope: Selector | SelectorList[Selector], url: str) -> str | None:
    for line in scope.css("p.text-right"):
        label = line.css("strong::text").get("").strip().rstrip(":").strip().lower()
        if label in _SOURCE_LABELS and (href := line.css("a::attr(href)").get()):
            return urljoin(url, href)
    return None


def _tags(sel: Selector) -> list[str]:
    names = sel.css("div.news_column a[href*='/tag/'] em::text").getall()
    names = names or sel.xpath("//meta[@property='article:tag']/@content").getall()
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _lead_images(sel: Selector, scope: Selector | SelectorList[Selector], url: str) -> list[dict]:
    """Return the lead image once, full size, with its caption (shown, or only in the <head>)."""
    figure = scope.css("figure.article")[:1]
    if figure:
        full = scope.css("#imgpreview img") or figure.css("img")
        caption = _first_text(figure.css("figcaption"))
        src = full.attrib.get("src")
        return [_image(url, src, caption, full.attrib.get("alt"))] if src else []
    # Lead image hidden on the page ("imgposition" 0): it is still the article's image.
    src = _meta(sel, "og:image")
    if not src:
        return []
    alt = _meta(sel, "og:image:alt")
    title = _meta(sel, "og:title")
    return [_image(url, src, alt if alt != title else None, alt)]


def _body_images(body: SelectorList[Selector], url: str) -> list[dict]:
    """Return in-body images with the caption CKEditor markup gives them, if any."""
    images = []
    for img in body.css("img"):
        src = img.attrib.get("src")
        if src and not src.startswith("data:"):
            images.append(_image(url, src, _body_caption(img), img.attrib.get("alt")))
    return images


def _body_caption(img: Selector) -> str | None:
    caption = img.xpath(
        "ancestor::figure[1]/figcaption"
        " | ancestor::table[contains(@class, 'image')][1]//td[contains(@class, 'caption')]"
    )
    if not caption:
        # <p><img></p><p><em>caption</em></p>: a paragraph holding only the image, then an
        # emphasised paragraph holding only the caption.
        holder = img.xpath("parent::p[not(normalize-space(string()))]")
        caption = holder.xpath(
            "following-sibling::*[1][self::p][count(*)=1][em or i]"
            "[normalize-space(string()) = normalize-space(string(em|i))]"
        )
    return _first_text(caption)


def _image(url: str, src: str, caption: str | None, alt: str | None) -> dict[str, str | None]:
    return {"url": urljoin(url, src.strip()), "caption": caption or None, "alt": alt or None}


def _attachments(scope: Selector | SelectorList[Selector], url: str) -> list[dict]:
    files = []
    for link in scope.css(".news-download-file a[download]"):
        name = link.css("strong::text").get() or link.attrib.get("title")
        files.append({"url": urljoin(url, link.attrib["href"]), "name": name.strip() if name else None})
    return files


def _rating(sel: Selector) -> dict[str, Any] | None:
    """Return ``{score, votes}`` from the rating form; score is the 0–5 average, None unrated."""
    summary = _first_text(sel.css("#form3B #stringrating"))
    match = _RATING.search(summary or "")
    if not match:
        return None
    total, votes = int(match.group(1)), int(match.group(2))
    shown = sel.css("#form3B #numberrating::text").get()
    if votes == 0:
        return {"score": None, "votes": 0}
    average = Decimal(shown.strip()) if shown else Decimal(total) / Decimal(votes)
    return {"score": float(average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)), "votes": votes}
