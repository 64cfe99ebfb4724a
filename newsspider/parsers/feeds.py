"""Feeds and sitemaps: where a site lists its newest articles, for any family.

Pure functions over response bytes. XML from the web is parsed without entity expansion, DTD
loading or network access (no XXE, no billion laughs), and a body larger than ``MAX_XML_BYTES``
is not parsed at all. Dates in feeds are never trusted for the record (NukeViet's RSS puts the
month in the minutes field); only sitemap ``lastmod`` is read, as a change signal.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from protego import Protego

from newsspider.dates import VN_TZ, parse_iso

__all__ = ["MAX_XML_BYTES", "SitemapEntry", "feed_links", "robots_sitemaps", "sitemap_entries"]

MAX_XML_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit for one file
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)


@dataclass(frozen=True)
class SitemapEntry:
    """One ``<url>`` or ``<sitemap>`` of a sitemap file."""

    loc: str
    lastmod: datetime | None


def robots_sitemaps(robots_txt: str) -> list[str]:
    """Return the ``Sitemap:`` URLs a robots.txt declares."""
    return list(dict.fromkeys(Protego.parse(robots_txt).sitemaps))


def sitemap_entries(body: bytes) -> tuple[str, list[SitemapEntry]]:
    """Return ``("index" | "urlset", entries)`` of a sitemap file, gzipped or not."""
    root = _xml_root(_gunzip(body))
    if root is None:
        return "urlset", []
    kind = "index" if etree.QName(root).localname == "sitemapindex" else "urlset"
    entries = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = lastmod = None
        for child in node:
            if isinstance(child.tag, str):
                name = etree.QName(child).localname
                if name == "loc":
                    loc = (child.text or "").strip()
                elif name == "lastmod":  # a bare date is midnight in Vietnam
                    lastmod = parse_iso(child.text, date_only_tz=VN_TZ)
        if loc:
            entries.append(SitemapEntry(loc, lastmod))
    return kind, entries


def feed_links(body: bytes) -> list[str]:
    """Return the item links of an RSS 2.0 or Atom feed, in feed order."""
    root = _xml_root(body)
    if root is None:
        return []
    links = []
    for node in root.iter("item", "{http://www.w3.org/2005/Atom}entry"):
        if node.tag == "item":
            link = node.findtext("link")
        else:  # the entry's page: rel="alternate" (the default), not "replies", "self", "edit"
            alternates = [
                link.get("href") for link in node.iterfind("{http://www.w3.org/2005/Atom}link")
                if link.get("rel", "alternate") == "alternate"
            ]  # fmt: skip
            link = alternates[0] if alternates else None
        if link and link.strip():
            links.append(link.strip())
    return list(dict.fromkeys(links))


def _xml_root(body: bytes) -> etree._Element | None:
    if len(body) > MAX_XML_BYTES or not body.strip():
        return None
    try:
        return etree.fromstring(body, parser=_PARSER)
    except etree.XMLSyntaxError:
        return None


def _gunzip(body: bytes) -> bytes:
    """Return a gzipped sitemap (``.xml.gz``) unpacked, never more than ``MAX_XML_BYTES + 1``."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unpacked:
            return unpacked.read(MAX_XML_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return b""
