"""Links of a news site of unknown make: which are articles, listings' next pages, categories.

Without a CMS to ask, a URL's shape is the evidence. News CMSs give an article a URL that ends in
its id (``…-123.html``, ``…-postid123.bbg``, ``/bg/cat/177110/slug.html``, ``?id=123``), an
extension (``.html``/``.htm``/``.bbg``) or a date (``/2024/09/slug/``, ``/202210/slug-2203929/``);
listings end in a category slug, and their pages in ``page=N``, ``/page/N/`` or ``trang-N``. Links
are kept to the page's host; menus, sidebars and footers are not where a listing's articles are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qs, urljoin, urlsplit

from parsel import Selector

from newsspider.parsers import _profile

__all__ = [
    "article_id",
    "category_urls",
    "is_blocked_url",
    "listing_article_urls",
    "next_page_urls",
    "path_id",
    "url_native_id",
]

_ID_TAIL = re.compile(r"(?:^|[-_.]|[-_]a|id)(\d+)\.(?:html?|bbg|aspx?|php)$", re.IGNORECASE)
_SLUG_ID = re.compile(r"[-_](?:a|post|postid|id)?(\d{4,})$", re.IGNORECASE)
_NUMERIC = re.compile(r"\d{5,}")  # shorter all-digit segments are years and months
_ARTICLE_EXT = re.compile(r"\.(?:html?|bbg)$", re.IGNORECASE)
_DATE_SEGMENTS = re.compile(
    r"/(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])/|/(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:[0-3]\d)?/"
)
_ID_PARAMS = ("id", "p", "itemid", "newsid", "articleid", "post")
_PAGE = re.compile(
    r"(?:[?&](?:page|trang|paged|pg)=\d+|/page/\d+/?$|[/-](?:page|trang)-?\d+(?:\.html?)?/?$)", re.I
)
# Never worth a request on a news site: search, accounts, print/share popups, admin, APIs.
_BLOCKED_SEGMENTS = frozenset(
    {
        "print", "in", "sendmail", "share", "search", "tim-kiem", "login", "dang-nhap", "register",
        "dang-ky", "wp-admin", "wp-login.php", "xmlrpc.php", "wp-json", "admin", "comment", "users",
        "cdn-cgi",
    }
)  # fmt: skip
# Never an article or a listing worth walking: feeds (read as discovery sources, not followed as
# links), comment feeds, tag and author pages (they repeat the section listings).
_NOT_LISTED_SEGMENTS = frozenset({"rss", "feed", "feeds", "comments", "tag", "tags", "author"})
_BLOCKED_PARAMS = frozenset({"replytocom", "print", "download", "share", "s", "q"})
_NON_ARTICLE_SITEMAP = re.compile(
    r"(?:users?|authors?|taxonom\w*|tags?|categor(?:y|ies)|pages?)[-_.]", re.IGNORECASE
)
_FEED_LINKS = "//link[@rel='alternate'][contains(@type, 'rss') or contains(@type, 'atom')]/@href"
_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|zip|rar|jpe?g|png|gif|webp|svg|mp[34]|avi|xml|json)$", re.I)
# Page furniture: links here are menus, widgets and footers, not a listing's articles (an
# article teaser's own <header>/<footer> is not furniture).
_FURNITURE = (
    "ancestor::*[self::nav or self::aside or (self::header or self::footer) and not(ancestor::article)"
    " or @role='navigation' or @role='complementary' or @role='contentinfo'"
    " or contains(@class, 'sidebar') or contains(@class, 'widget') or contains(@class, 'menu')"
    " or contains(@class, 'footer') or contains(@id, 'sidebar') or contains(@id, 'footer')]"
)
_NAV_LINKS = (
    "//nav//a[@href] | //*[@role='navigation']//a[@href]"
    " | //*[contains(@class, 'menu') or contains(@id, 'menu')]//a[@href]"
)


def url_native_id(url: str, profile: Mapping[str, str] | None = None) -> str | None:
    """Return the id a URL carries (see the module docstring), or None."""
    if profile and "article_url" in profile:
        match = re.search(profile["article_url"], url)
        if not match:
            return None
        groups = match.groupdict()
        return groups.get("id") or (match.group(1) if match.re.groups else None)
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    last = segments[-1] if segments else ""
    if match := _ID_TAIL.search(last) or _SLUG_ID.search(last):
        return match.group(1)
    for segment in reversed(segments[:-1]):
        if _NUMERIC.fullmatch(segment) and not _is_date(segment):
            return segment
    query = {key.lower(): values for key, values in parse_qs(parts.query).items()}
    return next((query[key][0] for key in _ID_PARAMS if query.get(key, [""])[0].isdigit()), None)


def path_id(url: str) -> str:
    """Return the id of a URL that carries none: ``h`` + 12 hex digits of SHA-1 of its path and query.

    The host is left out so that an article keeps its id when the site moves to another domain.
    """
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return "h" + hashlib.sha1(path.encode("utf-8")).hexdigest()[:12]


def article_id(url: str, profile: Mapping[str, str] | None = None) -> str | None:
    """Return the native id of an article URL, or None when the URL is not article-shaped."""
    if _unfollowable(url) or not _article_shaped(url, profile):
        return None
    return url_native_id(url, profile) or path_id(url)


def is_blocked_url(url: str) -> bool:
    """Return True for URLs a crawler must not request (search, accounts, popups, admin …)."""
    parts = urlsplit(url)
    if _segments(url) & _BLOCKED_SEGMENTS:
        return True
    return any(key.lower() in _BLOCKED_PARAMS for key in parse_qs(parts.query, keep_blank_values=True))


def _unfollowable(url: str) -> bool:
    """Return True for links that are no article and no listing: blocked, feeds, tags, files."""
    return (
        is_blocked_url(url)
        or bool(_segments(url) & _NOT_LISTED_SEGMENTS)
        or bool(_FILE.search(urlsplit(url).path))
    )


def _segments(url: str) -> set[str]:
    return {segment.lower() for segment in urlsplit(url).path.split("/")}


def listing_article_urls(sel: Selector, page_url: str, profile: Mapping[str, str] | None = None) -> list[str]:
    """Return the article links of a listing page outside menus, sidebars and footers, in page order."""
    if profile and "article_links" in profile:
        hrefs = _profile.texts(sel, _href_selector(profile["article_links"]))
    else:
        hrefs = sel.xpath(f"//a[@href][not({_FURNITURE})]/@href").getall()
    return _keep(hrefs, page_url, lambda url: article_id(url, profile) is not None)


def next_page_urls(sel: Selector, page_url: str, profile: Mapping[str, str] | None = None) -> list[str]:
    """Return a listing's pagination links: ``rel=next`` and ``page=N`` / ``/page/N/`` / ``trang-N``."""
    if profile and "next_page" in profile:
        return _keep(_profile.texts(sel, _href_selector(profile["next_page"])), page_url, _any)
    rel_next = sel.xpath("//link[@rel='next']/@href | //a[contains(concat(' ', @rel, ' '), ' next ')]/@href")
    paged = [href for href in sel.xpath("//a/@href").getall() if _PAGE.search(href)]
    return _keep(rel_next.getall() + paged, page_url, lambda url: not _unfollowable(url))


def category_urls(sel: Selector, page_url: str, profile: Mapping[str, str] | None = None) -> list[str]:
    """Return the section listings linked from the site's main menu (same host, not articles)."""
    if profile and "categories" in profile:
        return _keep(_profile.texts(sel, _href_selector(profile["categories"])), page_url, _any)
    home = urlsplit(page_url)._replace(path="/", query="", fragment="").geturl()

    def is_listing(url: str) -> bool:
        return (
            url != home and not _unfollowable(url) and not _PAGE.search(url) and not article_id(url, profile)
        )

    return _keep(sel.xpath(_NAV_LINKS).xpath("@href").getall(), page_url, is_listing)


def feed_urls(sel: Selector, page_url: str) -> list[str]:
    """Return the RSS and Atom feeds the page declares in its <head>."""
    hrefs = sel.xpath(_FEED_LINKS).getall()
    return _keep(hrefs, page_url, lambda url: "/comments/" not in url)


def wanted_sitemap(url: str) -> bool:
    """Return False for child sitemaps that list no articles (users, tags, categories, pages)."""
    return not _NON_ARTICLE_SITEMAP.search(urlsplit(url).path)


def _article_shaped(url: str, profile: Mapping[str, str] | None) -> bool:
    if profile and "article_url" in profile:
        return re.search(profile["article_url"], url) is not None
    path = urlsplit(url).path
    if _PAGE.search(url):
        return False
    last = path.rstrip("/").rsplit("/", 1)[-1]
    slug = "-" in last or "_" in last
    return bool(
        _ARTICLE_EXT.search(path)
        or (slug and _SLUG_ID.search(last.split(".")[0]))
        or (slug and _DATE_SEGMENTS.search(path))
        or url_native_id(url)
        and slug
    )


def _is_date(segment: str) -> bool:
    """Return True for ``YYYYMM`` / ``YYYYMMDD`` segments (archive folders, not ids)."""
    if len(segment) not in (6, 8) or segment[:2] not in ("19", "20"):
        return False
    return 1 <= int(segment[4:6]) <= 12


def _href_selector(selector: str) -> str:
    """Return a selector for the hrefs of what ``selector`` matches (elements or strings)."""
    if selector.startswith("xpath:") or "::" in selector:
        return selector
    return f"{selector}::attr(href)"


def _any(url: str) -> bool:
    return True


def _keep(hrefs: Iterable[str], page_url: str, wanted: Callable[[str], bool]) -> list[str]:
    """Return absolute same-host URLs without fragments, first occurrence first, that ``wanted`` accepts."""
    host = urlsplit(page_url).netloc
    urls = []
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urljoin(page_url, href).split("#", 1)[0]
        if urlsplit(url).netloc == host and wanted(url):
            urls.append(url)
    return list(dict.fromkeys(urls))
