"""The whole extraction of one page, outside Scrapy: parse → clean → normalize.

This is what the crawl does to an article page, minus fetching, validation and dedupe; it
serves ``newsspider extract``, the parser tests, the extraction benchmark, and the crawl's
extraction processes (:mod:`newsspider.extraction_pool`), which get a page as bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from parsel import Selector

from newsspider.encoding import clean_utf8, decode_page
from newsspider.items import Article, record_of
from newsspider.parsers import detect_family, parser_for
from newsspider.pipelines.clean import clean_record
from newsspider.pipelines.normalize import normalize_record

__all__ = ["NotAnArticle", "PageContext", "article_from_page", "extract", "finished_article"]


class NotAnArticle(ValueError):
    """The page is not an article page of the family asked for."""


def article_from_page(
    sel: Selector,
    url: str,
    *,
    site: str,
    family: str,
    utc_offset: float = 7,
    profile: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Article:
    """Return the raw :class:`Article` a page yields, before any pipeline.

    ``profile`` (a site's selectors) applies to the generic family; ``encoding`` is the encoding
    the page was read in, recorded as ``encoding_detected``.
    """
    parser = parser_for(family)
    options = {"profile": profile} if profile else {}
    if not parser.is_article_page(sel, **options):
        raise NotAnArticle(f"{url} is not a {family} article page")
    fields = parser.parse_article(sel, url, default_utc_offset=utc_offset, **options)
    crawled_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    return Article(
        site=site,
        url=url,
        crawled_at=crawled_at,
        extractor=parser.EXTRACTOR,
        encoding_detected=encoding,
        **fields,
    )


@dataclass(frozen=True)
class PageContext:
    """What a page alone does not say: whose page it is and how to read it."""

    site: str
    family: str
    utc_offset: float = 7
    profile: Mapping[str, str] | None = None
    forced_encoding: str | None = None  # the site's ``encoding`` setting


def finished_article(body: bytes, url: str, declared_encoding: str, context: PageContext) -> Article:
    """Return the cleaned, normalized article of a page fetched as ``body``; raise NotAnArticle.

    The page is read in the encoding it really uses (:func:`newsspider.encoding.decode_page`); a
    clean UTF-8 page, nearly every page, goes to lxml as it came, without a decode and re-encode.
    """
    if not context.forced_encoding and clean_utf8(body, declared_encoding):
        sel, encoding = Selector(body=body, encoding="utf-8", type="html", base_url=url), "utf-8"
    else:
        text, encoding = decode_page(body, declared_encoding, context.forced_encoding)
        sel = Selector(text=text, type="html", base_url=url)
    article = article_from_page(
        sel, url, site=context.site, family=context.family, utc_offset=context.utc_offset,
        profile=context.profile, encoding=encoding,
    )  # fmt: skip
    return Article(**_finished(article))


def extract(
    html: str, url: str | None = None, *, site: str = "local", family: str | None = None
) -> dict[str, Any]:
    """Return the cleaned, normalized record of one page (``url`` defaults to its canonical)."""
    sel = Selector(text=html)
    url = url or sel.xpath("//link[@rel='canonical']/@href").get()
    if not url:
        raise NotAnArticle("the page names no canonical URL; pass the URL it was fetched from")
    family = family or detect_family(sel)
    if family is None:
        raise NotAnArticle(f"{url}: no known CMS family recognised")
    return _finished(article_from_page(sel, url, site=site, family=family))


def _finished(article: Article) -> dict[str, Any]:
    """Return the record of a raw article after the clean and normalize stages.

    The record is a fresh dict sharing the article's values: the stages replace values, never
    change them in place.
    """
    record = record_of(article)
    clean_record(record)
    normalize_record(record)
    return record
