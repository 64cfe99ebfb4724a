"""The NukeViet family: what a page of a NukeViet 4.x portal says.

Pure functions over a page's ``parsel.Selector`` and its URL; no Scrapy, no I/O. They answer the
spider's questions (is this NukeViet, is this an article, which listings and articles does it
link) and return an article's raw fields. Markup facts behind every selector are in
``shared/research/nukeviet.md`` §1–§2; both the stock ``default`` theme and the eGov look are
handled.

Speed (``docs/performance.md``): the selectors are written as CSS, as before, but compiled once
at import (:func:`_css`, translated exactly as parsel's ``.css()`` translates them) and run on
the lxml tree under the Selector, so a page costs no per-call compilation and no Selector object
per match. Article fields are looked up inside the article container, not across the whole page;
the few page-wide look-ups for one element (canonical link, ``<meta>``, the nv_* script) walk the
tree lazily and stop at the first match, and the rating form is found by its id through the
parser's id table.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit
from weakref import WeakKeyDictionary

from lxml.etree import XPath, _Element, tostring
from parsel import Selector, css2xpath

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
_CLASS_SEPARATOR = re.compile(r"[ \t\n\r]+")  # what XPath's normalize-space() splits a class list on


def _xpath(query: str) -> XPath:
    """Compile an XPath query once; results are plain strings and lxml elements."""
    return XPath(query, smart_strings=False)


def _css(selector: str) -> XPath:
    """Compile a CSS selector once, translated exactly as parsel's ``Selector.css()`` would."""
    return _xpath(css2xpath(selector))


# page_vars() of every page whose tree is alive, keyed by the tree's root element.
_PAGE_VARS: WeakKeyDictionary[_Element, dict[str, str]] = WeakKeyDictionary()

# Page-wide (run on the document).
_ARTICLE_BODY_ANYWHERE = _css("#news-bodyhtml, div.news_column div.bodytext")
_RSS_ALTERNATES = _xpath("//link[@rel='alternate'][contains(@type, 'rss')]/@href")
_LISTING_ANCHORS = _css("ul.pagination, div.list-group, div.news_column, div.viewcat")
_GRID_COLUMN = _xpath("ancestor::div[contains(concat(' ', @class), ' col-')][1]")
_LINK_HREFS = _xpath(".//a/@href")
_PAGINATION_HREFS = _css("ul.pagination a::attr(href)")
_BREADCRUMBS = _css("ul.temp-breadcrumbs [itemprop='name']")
# "div.news_column a[href*='/tag/'] em::text", written from the tag links upwards: the CSS form
# lists the descendants of every column first, which costs more than all the other fields.
_TAG_NAMES = _xpath(
    "descendant::a[contains(@href, '/tag/')]"
    "[ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' news_column ')]]"
    "/descendant::em/text()"
)
_TAG_METAS = _xpath("//meta[@property='article:tag']/@content")
_HTML_LANG = _xpath("/html/@lang")
# id() reads libxml2's table of the page's ids instead of walking the page; with an id printed
# twice it returns the first element, which is also where the CSS ``#form3B …`` finds a match first.
_RATING_SUMMARY = _xpath("id('form3B')//*[@id = 'stringrating']")
_RATING_AVERAGE = _xpath("id('form3B')//*[@id = 'numberrating']/text()")
# Inside the article container (or the page when a theme has none).
_BODY_HTML = _css("#news-bodyhtml")
_BODY_TEXT = _css("div.bodytext")
_MODIFIED = _xpath(".//*[@itemprop='dateModified']/text()")
_TITLE = _css("h1[itemprop='headline'], h1.title")
_SUMMARY = _css("div.hometext, #hometext")
_TIME_CANDIDATES = _css(".panel-body > .row span.h5, em.time, .newsdetailmetatop span")
_HEADER_COUNTERS = _css(".newsdetailmetatop span.h5")
_ICON_CLASSES = _css("i::attr(class), em::attr(class)")
_OWN_TEXT = _xpath("text()")
_LABELLED_LINES = _css("p.text-right")
_STRONG_TEXT = _css("strong::text")
_LABELLED_VALUE = _xpath("text() | *[not(self::strong)]//text()")
_IMAGE_ALTS = _css("img::attr(alt)")
_ANCHOR_HREFS = _css("a::attr(href)")
_LEAD_FIGURE = _css("figure.article")
_PREVIEW_IMAGES = _css("#imgpreview img")
_IMAGES = _css("img")
_FIGCAPTIONS = _css("figcaption")
_DOWNLOADS = _css(".news-download-file a[download]")
_CHILD_NODES = _xpath("node()")
# Around one in-body image.
_CAPTION_MARKUP = _xpath(
    "ancestor::figure[1]/figcaption"
    " | ancestor::table[contains(@class, 'image')][1]//td[contains(@class, 'caption')]"
)
# <p><img></p><p><em>caption</em></p>: a paragraph holding only the image, then an emphasised
# paragraph holding only the caption.
_IMAGE_ONLY_PARAGRAPH = _xpath("parent::p[not(normalize-space(string()))]")
_CAPTION_PARAGRAPH = _xpath(
    "following-sibling::*[1][self::p][count(*)=1][em or i]"
    "[normalize-space(string()) = normalize-space(string(em|i))]"
)


def page_vars(sel: Selector) -> dict[str, str]:
    """Return the ``nv_*`` variables NukeViet prints in an inline script of the page.

    The script comes after the page's content, so finding it walks the whole page; the spider
    asks for them up to three times per page (family, article page?, article), so they are read
    once per parsed page and kept for as long as the page's tree lives.
    """
    variables = _PAGE_VARS.get(sel.root)
    if variables is None:
        variables = _PAGE_VARS[sel.root] = _read_page_vars(sel.root)
    return dict(variables)


def _read_page_vars(page: _Element) -> dict[str, str]:
    for script in page.iter("script"):  # lazily, in page order: stops at the first match
        text = script.text or ""  # an HTML parser gives a <script> its content as one text node
        if script.get("src") is None and "nv_base_siteurl" in text:
            return {name: value.strip('"') for name, value in _NV_VAR.findall(text)}
    return {}


def is_nukeviet(sel: Selector) -> bool:
    """Return True when the page carries NukeViet's generator tag or its inline nv_* script."""
    generator = _first_meta(sel.root, "name", "generator") or ""
    return generator.lower().startswith("nukeviet") or "module_name" in page_vars(sel)


def is_article_page(sel: Selector) -> bool:
    """Return True for a news detail page (``nv_func_name == "detail"`` or its body container)."""
    if page_vars(sel).get("func_name") == "detail":
        return True
    return bool(_ARTICLE_BODY_ANYWHERE(sel.root))


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
    for href in _RSS_ALTERNATES(sel.root):
        feed = urljoin(page_url, href)
        base, marker, category = ("/" + _route(feed).lstrip("/")).partition("/rss/")
        if marker and category.strip("/"):
            urls.append(_with_route(feed, f"{base}/{category.strip('/')}/"))
    return list(dict.fromkeys(urls))


def feed_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the RSS feeds a news page links: the module feed and one per category."""
    return list(dict.fromkeys(urljoin(page_url, href) for href in _RSS_ALTERNATES(sel.root)))


def wanted_sitemap(url: str) -> bool:
    """Return False for the sitemaps of modules that hold no news (``sitemap-vi.about.xml`` …)."""
    match = _MODULE_SITEMAP.search(urlsplit(url).path)
    return not match or match.group(1) not in _NON_ARTICLE_SEGMENTS


def listing_article_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the article links of a listing page's main column, in page order."""
    urls = (urljoin(page_url, href) for href in _LINK_HREFS(_main_column(sel.root)))
    return list(dict.fromkeys(url for url in urls if article_id(url) and _same_host(url, page_url)))


def next_page_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the pagination links (``…/page-N/``) of a listing page."""
    hrefs = _PAGINATION_HREFS(sel.root)
    urls = (urljoin(page_url, href) for href in hrefs if not href.startswith("javascript"))
    return list(dict.fromkeys(url for url in urls if _PAGE_TAIL.search(_route(url))))


def parse_article(sel: Selector, url: str, *, default_utc_offset: float = 7) -> dict[str, Any]:
    """Return the raw fields of an article page; values are as shown, not yet normalized."""
    page = sel.root
    variables = page_vars(sel)
    offset = float(variables.get("my_ofs", default_utc_offset))
    scope = _article_container(page)
    if scope is None:  # a theme without the container: look across the page
        scope = page
    body = _BODY_HTML(scope) or _BODY_TEXT(scope)
    canonical = _first_link(page, "canonical")
    published_raw = _published_raw(scope)
    published = parse_date(published_raw, tz=tz_from_offset_hours(offset)) if published_raw else None
    modified_raw = _first(_MODIFIED(scope))
    breadcrumbs = _texts(_BREADCRUMBS(page))
    counters = _meta_counters(scope)
    lines = _labelled_lines(scope)
    return {
        "native_id": article_id(canonical or "") or article_id(url),
        "canonical_url": urljoin(url, canonical) if canonical else None,
        "title": _first_text(_TITLE(scope)) or _meta(page, "og:title"),
        "summary": _first_text(_SUMMARY(scope)),
        "body_html": _inner_html(body[0]) if body else None,
        "published_at": published.isoformat() if published else None,
        "published_at_raw": published_raw,
        "modified_at": modified_raw.strip() if modified_raw else None,
        "modified_at_raw": modified_raw.strip() if modified_raw else None,
        "authors": [value] if (value := _labelled(lines, _AUTHOR_LABELS)) else [],
        "source": _labelled(lines, _SOURCE_LABELS),
        "source_url": _source_url(lines, url),
        "category": breadcrumbs[-1] if len(breadcrumbs) > 1 else _meta(page, "article:section"),
        "breadcrumbs": breadcrumbs,
        "tags": _tags(page),
        "images": _lead_images(page, scope, url) + _body_images(body, url),
        "attachments": _attachments(scope, url),
        "view_count": counters.get("fa-eye"),
        "comment_count": counters.get("fa-comment-o"),
        "rating": _rating(page),
        "language": variables.get("lang_data") or _first(_HTML_LANG(page)),
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


def _main_column(page: _Element) -> _Element:
    """Return the listing's main column: the grid column that holds the pagination or list."""
    for anchor in _LISTING_ANCHORS(page)[:1]:
        for column in _GRID_COLUMN(anchor):
            return column
    return page


def _article_container(page: _Element) -> _Element | None:
    """Return the first ``div.news_column`` that holds the article (microdata, or eGov's class).

    The same as ``div.news_column[itemtype*='NewsArticle'], div.news_column.newsdetail``, but the
    walk stops at the container (half-way down a page) instead of testing every <div>.
    """
    for div in page.iter("div"):
        classes = div.get("class")
        if classes and "news_column" in classes:  # cheap pre-test, exact test below
            names = _CLASS_SEPARATOR.split(classes)
            if "news_column" in names and ("NewsArticle" in div.get("itemtype", "") or "newsdetail" in names):
                return div
    return None


def _same_host(url: str, other: str) -> bool:
    return urlsplit(url).netloc == urlsplit(other).netloc


def _first(values: list[Any]) -> Any:
    return values[0] if values else None


def _first_text(nodes: list[_Element]) -> str | None:
    return element_text(nodes[0]) or None if nodes else None


def _texts(nodes: list[_Element]) -> list[str]:
    return [text for node in nodes if (text := element_text(node))]


def _inner_html(element: _Element) -> str:
    """Return the markup inside ``element`` as parsel's ``node()`` would give it, joined.

    Child elements are serialized as HTML; text nodes come as they are (not escaped again),
    exactly what ``"".join(sel.xpath("node()").getall())`` returned before.
    """
    return "".join(
        node if isinstance(node, str) else tostring(node, method="html", encoding="unicode", with_tail=False)
        for node in _CHILD_NODES(element)
    )


def _first_meta(page: _Element, attribute: str, value: str) -> str | None:
    """Return the content of the first ``<meta {attribute}="{value}" content=…>`` of the page."""
    for meta in page.iter("meta"):  # lazily: the <head> metas are reached first
        if meta.get(attribute) == value and (content := meta.get("content")) is not None:
            return content
    return None


def _meta(page: _Element, prop: str) -> str | None:
    return _first_meta(page, "property", prop)


def _first_link(page: _Element, rel: str) -> str | None:
    """Return the href of the first ``<link rel="{rel}" href=…>`` of the page."""
    for link in page.iter("link"):
        if link.get("rel") == rel and (href := link.get("href")) is not None:
            return href
    return None


def _published_raw(scope: _Element) -> str | None:
    """Return the visible publish time: the first time-bearing ``span.h5`` of the header row."""
    for candidate in _TIME_CANDIDATES(scope):
        plain = element_text(candidate, with_tail=False)
        if _VISIBLE_TIME.search(plain):
            return plain
    return None


def _meta_counters(scope: _Element) -> dict[str, int]:
    """Return the eGov header counters keyed by their icon (views ``fa-eye``, comments …)."""
    counters: dict[str, int] = {}
    for span in _HEADER_COUNTERS(scope):
        icon = _first(_ICON_CLASSES(span)) or ""
        digits = re.sub(r"\D", "", "".join(_OWN_TEXT(span)))
        for name in ("fa-eye", "fa-comment-o"):
            if name in icon.split() and digits:
                counters[name] = int(digits)  # "1.234" is 1234: dots group thousands
    return counters


def _labelled_lines(scope: _Element) -> list[tuple[str, _Element]]:
    """Return the ``<p class="h5 text-right"><strong>Label: </strong>value</p>`` lines by label."""
    return [(_label(line), line) for line in _LABELLED_LINES(scope)]


def _label(line: _Element) -> str:
    return (_first(_STRONG_TEXT(line)) or "").strip().rstrip(":").strip().lower()


def _labelled(lines: list[tuple[str, _Element]], labels: tuple[str, ...]) -> str | None:
    """Return the value of the first line with one of ``labels``: its text, or its image's alt."""
    for label, line in lines:
        if label in labels:
            value = " ".join(_LABELLED_VALUE(line))
            return " ".join(value.split()) or _first(_IMAGE_ALTS(line))
    return None


def _source_url(lines: list[tuple[str, _Element]], url: str) -> str | None:
    for label, line in lines:
        if label in _SOURCE_LABELS and (href := _first(_ANCHOR_HREFS(line))):
            return urljoin(url, href)
    return None


def _tags(page: _Element) -> list[str]:
    names = _TAG_NAMES(page) or _TAG_METAS(page)
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def _lead_images(page: _Element, scope: _Element, url: str) -> list[dict]:
    """Return the lead image once, full size, with its caption (shown, or only in the <head>)."""
    figure = _LEAD_FIGURE(scope)[:1]
    if figure:
        full = _PREVIEW_IMAGES(scope) or _IMAGES(figure[0])
        caption = _first_text(_FIGCAPTIONS(figure[0]))
        src = full[0].get("src") if full else None
        return [_image(url, src, caption, full[0].get("alt"))] if src else []
    # Lead image hidden on the page ("imgposition" 0): it is still the article's image.
    src = _meta(page, "og:image")
    if not src:
        return []
    alt = _meta(page, "og:image:alt")
    title = _meta(page, "og:title")
    return [_image(url, src, alt if alt != title else None, alt)]


def _body_images(body: list[_Element], url: str) -> list[dict]:
    """Return in-body images with the caption CKEditor markup gives them, if any."""
    images = []
    for container in body:
        for img in _IMAGES(container):
            src = img.get("src")
            if src and not src.startswith("data:"):
                images.append(_image(url, src, _body_caption(img), img.get("alt")))
    return images


def _body_caption(img: _Element) -> str | None:
    caption = _CAPTION_MARKUP(img)
    if not caption:
        caption = [p for holder in _IMAGE_ONLY_PARAGRAPH(img) for p in _CAPTION_PARAGRAPH(holder)]
    return _first_text(caption)


def _image(url: str, src: str, caption: str | None, alt: str | None) -> dict[str, str | None]:
    return {"url": urljoin(url, src.strip()), "caption": caption or None, "alt": alt or None}


def _attachments(scope: _Element, url: str) -> list[dict]:
    files = []
    for link in _DOWNLOADS(scope):
        name = _first(_STRONG_TEXT(link)) or link.get("title")
        files.append({"url": urljoin(url, link.attrib["href"]), "name": name.strip() if name else None})
    return files


def _rating(page: _Element) -> dict[str, Any] | None:
    """Return ``{score, votes}`` from the rating form; score is the 0–5 average, None unrated."""
    summary = _first_text(_RATING_SUMMARY(page))
    match = _RATING.search(summary or "")
    if not match:
        return None
    total, votes = int(match.group(1)), int(match.group(2))
    shown = _first(_RATING_AVERAGE(page))
    if votes == 0:
        return {"score": None, "votes": 0}
    average = Decimal(shown.strip()) if shown else Decimal(total) / Decimal(votes)
    return {"score": float(average.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)), "votes": votes}
