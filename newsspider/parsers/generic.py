"""The generic family: what a news page of any make says.

For a site whose CMS we have no parser for. Each field is read from what the publisher declares
first, in this order: a site profile's selector (``_profile``), JSON-LD (``NewsArticle`` …, also in
``@graph``), OpenGraph and other ``<meta>`` tags, microdata (``itemprop``), then the hAtom/rel
conventions WordPress-style themes print (``h1.entry-title``, ``time.published``, ``rel=author``,
``rel=tag``), and last the visible page (the first ``<h1>``, a visible date). The body is
trafilatura's (see ``_body``); the clean and normalize pipelines run after it as for every family.

Dates: NukeViet's ``article:published_time`` is malformed (``2020-08-24+0700:08:00``) but is the
publish time, and its microdata ``datePublished`` is the *edit* time; meta coming before microdata,
the generic family reads the right one from a NukeViet page too.

``native_id``: the JSON-LD ``identifier``; else the id in the ``shortlink`` (``?p=123``); else the
number in the URL (``…-123.html``, ``…-postid123.bbg``, ``/bg/cat/177110/slug.html``,
``?id=123``); else ``h`` + the first 12 hex digits of the SHA-1 of the canonical URL's path and
query (stable while the URL is, and the same on every host the site moves to).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector, SelectorList

from newsspider.dates import parse_date, tz_from_offset_hours
from newsspider.parsers import _profile
from newsspider.parsers._body import body_container, extract_body
from newsspider.parsers._links import (
    article_id,
    category_urls,
    feed_urls,
    is_blocked_url,
    listing_article_urls,
    next_page_urls,
    path_id,
    url_native_id,
    wanted_sitemap,
)
from newsspider.parsers._structured import (
    itemprop_values,
    json_ld_article,
    json_ld_breadcrumbs,
    ld_names,
    ld_text,
    meta_values,
    microdata_scope,
    node_text,
)
from newsspider.text.html import serialize_children

__all__ = [
    "EXTRACTOR",
    "article_id",
    "category_urls",
    "feed_urls",
    "is_article_page",
    "is_blocked_url",
    "listing_article_urls",
    "next_page_urls",
    "parse_article",
    "wanted_sitemap",
]

EXTRACTOR = "generic/1"

_Scope = Selector | SelectorList[Selector]
_DATE_TEXT = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2} tháng \d{1,2}", re.I)
_DATE_HOLDERS = (
    ".//*[self::time or contains(@class, 'date') or contains(@class, 'time') or contains(@class, 'publish')"
    " or contains(@id, 'date') or contains(@id, 'time')]"
)
_SOURCE_LINE = re.compile(r"^\s*nguồn(?: tin)?\s*:\s*(.+?)\s*$", re.IGNORECASE | re.DOTALL)
_SOURCE_HOLDERS = "(.//p | .//div[not(.//p or .//div)] | .//span[not(ancestor::p)])"
# The article element of an article page: it holds the page's <h1> (listings' articles hold <h2>s).
_HEADED_ARTICLE = "//article[.//h1][not(ancestor::article)]"
_VISIBLE_IMAGES = ".//img[not(ancestor-or-self::*[contains(@class, 'hidden') or contains(@style, 'none')])]"
_CAPTIONS = (
    "ancestor::figure[1]//figcaption[1]"
    " | ancestor::table[contains(@class, 'image')][1]//td[contains(@class, 'caption')]"
    " | parent::p[not(normalize-space(string()))]/following-sibling::*[1][self::p][count(*)=1][em or i]"
    "[normalize-space(string()) = normalize-space(string(em|i))]"
)
_REL_TAG = ".//a[contains(concat(' ', normalize-space(@rel), ' '), ' tag ')][not(contains(@rel, 'category'))]"
_REL_CATEGORY = ".//a[contains(concat(' ', normalize-space(@rel), ' '), ' category ')]"
_SHORTLINK_ID = re.compile(r"[?&]p=(\d+)\b")


def is_article_page(sel: Selector, *, profile: Mapping[str, str] | None = None) -> bool:
    """Return True when the page declares an article (og:type, JSON-LD, microdata) or has the shape
    of one: a single ``<article>`` holding the ``<h1>``."""
    if profile and "article" in profile:
        return bool(_profile.select(sel, profile["article"]))
    if profile and "title" in profile and _profile.select(sel, profile["title"]):
        return True  # the site's own headline selector found the headline
    if "article" in (value.lower() for value in meta_values(sel, "og:type")):
        return True
    if json_ld_article(sel) or microdata_scope(sel):
        return True
    return len(sel.xpath(_HEADED_ARTICLE)) == 1


def parse_article(
    sel: Selector, url: str, *, default_utc_offset: float = 7, profile: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return the raw fields of an article page; values are as found, not yet normalized."""
    page = _Page(sel, url, profile or {}, tz_from_offset_hours(default_utc_offset))
    published_raw, published = page.date("published_at", "datePublished", "article:published_time")
    modified_raw, modified = page.date("modified_at", "dateModified", "article:modified_time")
    canonical = page.canonical_url()
    body = page.body()
    source, source_url = page.source()
    return {
        "native_id": page.native_id(canonical),
        "canonical_url": canonical,
        "title": page.title(),
        "summary": page.summary(),
        "body_html": body,
        "published_at": published,
        "published_at_raw": published_raw,
        "modified_at": modified,
        "modified_at_raw": modified_raw,
        "authors": page.authors(),
        "source": source,
        "source_url": source_url,
        "category": page.category(),
        "breadcrumbs": page.breadcrumbs(),
        "tags": page.tags(),
        "images": page.images(body),
        "attachments": [],
        "view_count": None,
        "comment_count": None,
        "rating": None,
        "language": page.language(),
    }


class _Page:
    """One page and the structured data it declares, read once; one method per field."""

    def __init__(self, sel: Selector, url: str, profile: Mapping[str, str], tz: tzinfo) -> None:
        self.sel, self.url, self.profile, self.tz = sel, url, profile, tz
        self.ld = json_ld_article(sel)
        self.micro = microdata_scope(sel)
        articles = sel.xpath(_HEADED_ARTICLE)
        # Where the article's own markup is: its microdata item, its <article>, or the page; its
        # body container is looked for there first.
        item = self.micro or (articles if len(articles) == 1 else None)
        self.scope: _Scope = item if item else sel
        container = body_container(item[0].root) if item else None
        self.container = container if container is not None else body_container(sel.root)

    def first(self, key: str, *candidates: str | None) -> str | None:
        """Return the profile's value for ``key`` if it matches, else the first present candidate."""
        if key in self.profile:
            found = _profile.texts(self.sel, self.profile[key])
            if found:
                return found[0]
        return next((value.strip() for value in candidates if value and value.strip()), None)

    def many(self, key: str, *candidates: list[str]) -> list[str]:
        """Return the profile's values for ``key`` if any match, else the first non-empty candidate list."""
        if key in self.profile and (found := _profile.texts(self.sel, self.profile[key])):
            return found
        return next((values for values in candidates if values), [])

    def meta(self, *names: str) -> str | None:
        return next(iter(meta_values(self.sel, *names)), None)

    def micro_value(self, name: str) -> str | None:
        return next(iter(itemprop_values(self.micro, name)), None) if self.micro else None

    def title(self) -> str | None:
        h1 = self.scope.xpath(".//h1[contains(@class, 'entry-title')]")[:1] or self.scope.xpath(".//h1")[:1]
        return self.first(
            "title",
            ld_text(self.ld.get("headline")),
            self.meta("og:title", "twitter:title"),
            self.micro_value("headline"),
            node_text(h1[0]) if h1 else None,
            self.sel.xpath("string(//title)").get(),
        )

    def summary(self) -> str | None:
        return self.first(
            "summary",
            ld_text(self.ld.get("description")),
            self.meta("og:description", "description", "twitter:description"),
            self.micro_value("description"),
        )

    def canonical_url(self) -> str | None:
        href = self.first(
            "canonical_url",
            self.sel.xpath("//link[@rel='canonical']/@href").get(),
            self.meta("og:url"),
            ld_text(self.ld.get("url")),
        )
        return urljoin(self.url, href) if href else None

    def native_id(self, canonical: str | None) -> str:
        shortlink = self.sel.xpath("//link[@rel='shortlink']/@href").get("")
        declared = self.first(
            "native_id",
            ld_text(self.ld.get("identifier")),
            match.group(1) if (match := _SHORTLINK_ID.search(shortlink)) else None,
            url_native_id(canonical or "", self.profile) or url_native_id(self.url, self.profile),
        )
        return declared or path_id(canonical or self.url)

    def date(self, key: str, itemprop: str, meta: str) -> tuple[str | None, str | None]:
        """Return ``(raw, iso)`` of a date: profile, JSON-LD, meta, microdata, hAtom, visible text."""
        hatom = "published" if key == "published_at" else "updated"
        candidates = [
            ld_text(self.ld.get(itemprop)),
            self.meta(meta, itemprop, f"og:{meta.split(':')[-1]}"),
            self.micro_value(itemprop),
            self.scope.xpath(f".//time[contains(concat(' ', @class, ' '), ' {hatom} ')]/@datetime").get(),
        ]
        if key == "published_at":
            candidates.append(self.visible_date())
        raw = self.first(key, *candidates)
        moment = parse_date(raw, tz=self.tz) if raw else None
        return raw, moment.isoformat() if moment else None

    def visible_date(self) -> str | None:
        """Return the first date-bearing text of a date-ish element (``<time>``, ``.date`` …)."""
        for node in self.scope.xpath(_DATE_HOLDERS):
            text = node_text(node)
            if len(text) < 80 and _DATE_TEXT.search(text):
                return text
        return None

    def authors(self) -> list[str]:
        site = {name.casefold() for name in meta_values(self.sel, "og:site_name")}
        meta = [
            name for name in meta_values(self.sel, "article:author", "author") if name.casefold() not in site
        ]
        micro = itemprop_values(self.micro, "author") if self.micro else []
        rel = [node_text(node) for node in self.scope.xpath(".//a[contains(@rel, 'author')]")]
        # <meta name="author"> often names the site, not a person: that value is no byline.
        return self.many("authors", ld_names(self.ld.get("author")), meta[:1], micro, rel)

    def source(self) -> tuple[str | None, str | None]:
        """Return the "Nguồn tin:" / "Nguồn:" line's value and link (the last such line)."""
        name = self.first("source")
        link = self.first("source_url")
        if name is None:
            for node in reversed(self.scope.xpath(_SOURCE_HOLDERS)):
                match = _SOURCE_LINE.match(node_text(node))
                if match and len(match.group(1)) <= 150:
                    name = match.group(1).strip()
                    link = link or node.xpath(".//a/@href").get()
                    break
        return name, urljoin(self.url, link) if link else None

    def category(self) -> str | None:
        crumbs = self.breadcrumbs()
        rel = self.scope.xpath(_REL_CATEGORY)[:1]
        return self.first(
            "category",
            ld_text(self.ld.get("articleSection")),
            self.meta("article:section"),
            self.micro_value("articleSection"),
            node_text(rel[0]) if rel else None,
            crumbs[-1] if len(crumbs) > 1 else None,
        )

    def breadcrumbs(self) -> list[str]:
        micro = self.sel.xpath(
            "//*[contains(@itemtype, 'BreadcrumbList')]//*[@itemprop='itemListElement']//*[@itemprop='name']"
        )
        return self.many("breadcrumbs", json_ld_breadcrumbs(self.sel), [node_text(node) for node in micro])

    def tags(self) -> list[str]:
        keywords = self.ld.get("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        rel = [node_text(node) for node in self.scope.xpath(_REL_TAG)]
        tags = self.many("tags", ld_names(keywords), meta_values(self.sel, "article:tag"), rel)
        return list(dict.fromkeys(tag.strip() for tag in tags if tag.strip()))

    def language(self) -> str | None:
        locale = self.meta("og:locale")
        return self.first(
            "language",
            self.sel.xpath("/html/@lang").get(),
            ld_text(self.ld.get("inLanguage")),
            locale.split("_")[0] if locale else None,
        )

    def body(self) -> str | None:
        if "body" in self.profile:
            chosen = _profile.select(self.sel, self.profile["body"])
            if chosen and not isinstance(chosen[0].root, str):
                return serialize_children(chosen[0].root).strip() or None
        html = extract_body(self.sel.root, self.container)
        if html is None and self.container is not None:  # too little text for trafilatura to keep
            html = serialize_children(self.container).strip() or None
        return html

    def images(self, body: str | None) -> list[dict[str, str | None]]:
        """Return the lead image (JSON-LD / og:image) then the article's images, each file once.

        Images are keyed by file name: a CMS shows the lead image as a thumbnail of the same file
        in another folder (``/assets/news/…`` for ``/uploads/news/…``), which is not a second image;
        the lead's caption is then the one printed under its thumbnail.
        """
        images: dict[str, dict[str, str | None]] = {}
        if "images" in self.profile:
            nodes = _profile.select(self.sel, self.profile["images"])
        else:
            lead = ld_text(self.ld.get("image")) or self.meta("og:image", "twitter:image")
            if lead:
                _add_image(images, urljoin(self.url, lead), None, self.meta("og:image:alt"))
            nodes = self._image_nodes(body)
        for node in nodes:
            if isinstance(node.root, str):
                _add_image(images, urljoin(self.url, node.root.strip()), None, None)
            elif src := node.attrib.get("src") or node.attrib.get("data-src"):
                _add_image(images, urljoin(self.url, src.strip()), _caption(node), node.attrib.get("alt"))
        return list(images.values())

    def _image_nodes(self, body: str | None) -> SelectorList[Selector]:
        """Return the visible images of the article element, of its body container, or of the body
        trafilatura extracted (never the page's: logos, banners and sidebars are not the article's)."""
        if self.scope is not self.sel:
            return self.scope.xpath(_VISIBLE_IMAGES)
        if self.container is not None:
            return Selector(root=self.container).xpath(_VISIBLE_IMAGES)
        return Selector(text=body).xpath(_VISIBLE_IMAGES) if body else SelectorList()


def _add_image(
    images: dict[str, dict[str, str | None]], url: str, caption: str | None, alt: str | None
) -> None:
    """Add an image under its file name, or fill in the caption and alt of the one already there."""
    if url.startswith("data:"):
        return
    known = images.setdefault(
        urlsplit(url).path.rsplit("/", 1)[-1], {"url": url, "caption": None, "alt": None}
    )
    known["caption"] = known["caption"] or caption
    known["alt"] = known["alt"] or alt


def _caption(img: Selector) -> str | None:
    """Return the caption of an image: its figure's figcaption, a CKEditor caption cell, or the
    editors' habit of an emphasised paragraph right under a paragraph holding only the image."""
    caption = img.xpath(_CAPTIONS)
    return node_text(caption[0]) or None if caption else None
