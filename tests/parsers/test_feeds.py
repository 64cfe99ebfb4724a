"""Sitemaps, feeds and robots.txt of any family, read without trusting the XML."""

from __future__ import annotations

import gzip

from gold import NUKEVIET

from newsspider.parsers.feeds import MAX_XML_BYTES, feed_links, robots_sitemaps, sitemap_entries

FILES = NUKEVIET / "egov-short" / "files"


def test_robots_sitemap_lines() -> None:
    assert robots_sitemaps((FILES / "robots.txt").read_text()) == ["http://127.0.0.1:8088/sitemap.xml"]
    assert robots_sitemaps("User-agent: *\nDisallow: /admin/\n") == []


def test_sitemap_index_and_news_sitemap() -> None:
    kind, entries = sitemap_entries((FILES / "sitemap.xml").read_bytes())
    assert kind == "index"
    assert [entry.loc.rsplit("/", 1)[1] for entry in entries] == [
        "sitemap-vi.about.xml", "sitemap-vi.news.xml", "sitemap-vi.siteterms.xml"
    ]  # fmt: skip
    kind, entries = sitemap_entries((FILES / "sitemap-vi.news.xml").read_bytes())
    assert kind == "urlset" and len(entries) == 30
    newest = entries[0]
    assert newest.loc.endswith("-30.html")
    assert newest.lastmod is not None and newest.lastmod.isoformat() == "2024-12-26T19:20:00+07:00"


def test_gzipped_sitemap() -> None:
    body = gzip.compress((FILES / "sitemap-vi.news.xml").read_bytes())
    assert len(sitemap_entries(body)[1]) == 30


def test_rss_item_links_in_feed_order() -> None:
    links = feed_links((FILES / "rss" / "index.xml").read_bytes())
    assert links[0].endswith("-30.html") and len(links) == len(set(links)) > 10


def test_atom_entry_links() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://x/a-1.html"/></entry>
    <entry><link rel="replies" href="http://x/b-2.html#comments"/><link rel="alternate" href="http://x/b-2.html"/>
    </entry></feed>"""
    assert feed_links(atom) == ["http://x/a-1.html", "http://x/b-2.html"]


def test_date_only_lastmod_is_midnight_in_vietnam() -> None:
    body = b"<urlset><url><loc>http://x/a-1.html</loc><lastmod>2024-06-24</lastmod></url></urlset>"
    (entry,) = sitemap_entries(body)[1]
    assert entry.lastmod is not None and entry.lastmod.isoformat() == "2024-06-24T00:00:00+07:00"


def test_entities_are_never_expanded() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
        b"]><urlset><url><loc>http://x/&b;</loc></url></urlset>"
    )
    assert [entry.loc for entry in sitemap_entries(laughs)[1]] == ["http://x/"]  # &b; dropped, not expanded
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><link>http://x/&e;</link></item></channel></rss>"
    )
    assert feed_links(xxe) == ["http://x/"]  # the external entity is never read


def test_garbage_and_oversized_bodies_yield_nothing() -> None:
    assert sitemap_entries(b"<html>not a sitemap") == ("urlset", [])
    assert feed_links(b"\x00\x01garbage") == []
    assert feed_links(b"<rss>" + b" " * (MAX_XML_BYTES + 1) + b"</rss>") == []
    assert sitemap_entries(gzip.compress(b"")[:5])[1] == []
    corrupt = bytearray(gzip.compress((FILES / "sitemap-vi.news.xml").read_bytes()))
    corrupt[40:60] = b"\xff" * 20  # a damaged deflate stream
    assert sitemap_entries(bytes(corrupt)) == ("urlset", [])
