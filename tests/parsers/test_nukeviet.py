"""The NukeViet parser (with clean and normalize) against the fixtures' database values."""

from __future__ import annotations

import pytest
from gold import (
    BOILERPLATE_PHRASES,
    NUKEVIET,
    RECORDED_ORIGIN,
    VARIANTS,
    actual_fields,
    article_file,
    expected_fields,
    gold_records,
)  # fmt: skip
from parsel import Selector

from newsspider.extraction import NotAnArticle, extract
from newsspider.parsers import detect_family, nukeviet

VISIBLE = [(variant, gold) for variant in VARIANTS for gold in gold_records(variant) if gold["visible"]]


def _page(variant: str, gold: dict) -> str:
    return article_file(variant, gold).read_text(encoding="utf-8")


@pytest.mark.parametrize(("variant", "gold"), VISIBLE, ids=[f"{v}-{g['id']}" for v, g in VISIBLE])
def test_every_field_matches_gold(variant: str, gold: dict) -> None:
    record = extract(_page(variant, gold), gold["url"], site="demo")
    expected = expected_fields(gold, variant, site="demo", origin=RECORDED_ORIGIN)
    assert actual_fields(record) == expected


@pytest.mark.parametrize(("variant", "gold"), VISIBLE, ids=[f"{v}-{g['id']}" for v, g in VISIBLE])
def test_no_boilerplate_in_text_fields(variant: str, gold: dict) -> None:
    record = extract(_page(variant, gold), gold["url"], site="demo")
    for field in ("title", "summary", "body_text"):
        for phrase in BOILERPLATE_PHRASES:
            assert phrase not in (record[field] or ""), (field, phrase)


def test_caption_of_left_thumbnail_appears_once() -> None:
    """Article 7: thumbnail and hidden full-size copy both carry the caption; we keep one."""
    gold = next(g for g in gold_records("egov-short") if g["id"] == 7)
    record = extract(_page("egov-short", gold), gold["url"], site="demo")
    caption = gold["image"]["caption"]
    assert [image["caption"] for image in record["images"]].count(caption) == 1
    assert record["images"][0]["url"].endswith(gold["image"]["src"])  # full size, not the thumb


def test_published_time_read_in_the_page_offset() -> None:
    """A visitor outside Vietnam sees UTC times (nv_my_ofs=0); the record stays exact."""
    gold = next(g for g in gold_records("egov-short") if g["id"] == 6)
    html = _page("egov-short", gold).replace("nv_my_ofs=7", "nv_my_ofs=0")
    html = html.replace("24/08/2020 00:08", "23/08/2020 17:08")
    record = extract(html, gold["url"], site="demo")
    assert record["published_at"] == "2020-08-24T00:08:00+07:00"
    assert record["published_at_raw"] == "Thứ hai - 23/08/2020 17:08"


def test_edited_article_keeps_publish_time_apart_from_edit_time() -> None:
    """Article 30: microdata datePublished holds the edit time; the visible time is right."""
    gold = next(g for g in gold_records("stock-lang") if g["id"] == 30)
    record = extract(_page("stock-lang", gold), gold["url"], site="demo")
    assert record["published_at"] == gold["published_at"] != gold["updated_at"]
    assert record["modified_at"] == gold["updated_at"]


def test_view_count_with_thousands_dots() -> None:
    """The real eGov theme prints 1.523 for 1523 views."""
    gold = next(g for g in gold_records("egov-short") if g["id"] == 19)
    html = _page("egov-short", gold).replace("</i>1523</span>", "</i>1.523</span>")
    assert extract(html, gold["url"], site="demo")["view_count"] == 1523


def test_listing_page_is_not_an_article() -> None:
    html = (NUKEVIET / "egov-short/files/kinh-te/index.html").read_text(encoding="utf-8")
    sel = Selector(text=html)
    assert detect_family(sel) == "nukeviet"
    assert not nukeviet.is_article_page(sel)
    with pytest.raises(NotAnArticle):
        extract(html, "http://127.0.0.1:8088/kinh-te/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x/thoi-su/abc-12.html", "12"),  # short form
        ("http://x/news/thoi-su/abc-12.html", "12"),  # module form
        ("http://x/vi/news/thoi-su/abc-12.html", "12"),  # language form
        ("http://x/index.php/vi/news/thoi-su/abc-12.html", "12"),  # without .htaccess
        ("http://x/index.php?language=vi&nv=news&op=thoi-su/abc-12.html", "12"),  # query form
        ("http://x/vi/news/print/thoi-su/abc-12.html", None),
        ("http://x/sendmail/thoi-su/abc-12.html", None),
        ("http://x/vi/news/savefile/thoi-su/abc-12.html", None),
        ("http://x/index.php?language=vi&nv=news&op=print/thoi-su/abc-12.html", None),
        ("http://x/thong-bao/abc-23.html?download=1&id=0", None),
        ("http://x/vi/news/tag/abc-12", None),
        ("http://x/vi/news/thoi-su/", None),
        ("http://x/about/gioi-thieu-ve-nukeviet-4.html", None),
    ],
)
def test_article_id_in_every_url_form(url: str, expected: str | None) -> None:
    assert nukeviet.article_id(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://x/vi/news/rating/", "http://x/comment/post/", "http://x/vi/seek/?q=a",
     "http://x/index.php?language=vi&nv=news&op=sendmail/a-1.html", "http://x/vi/news/search/?q=b"],
)  # fmt: skip
def test_blocked_endpoints(url: str) -> None:
    assert nukeviet.is_blocked_url(url)


@pytest.mark.parametrize(
    "url",
    ["http://x/vi/news/rss/thoi-su/", "http://x/feeds/", "http://x/sitemap-vi.news.xml", "http://x/rss/"],
)
def test_discovery_sources_are_not_blocked(url: str) -> None:
    assert not nukeviet.is_blocked_url(url)
    assert nukeviet.article_id(url) is None


@pytest.mark.parametrize(
    ("feed", "listing"),
    [
        ("/rss/kinh-te/", "http://x/kinh-te/"),
        ("/vi/news/rss/kinh-te/", "http://x/vi/news/kinh-te/"),
        ("/news/rss/kinh-te/", "http://x/news/kinh-te/"),
        ("/index.php/vi/news/rss/kinh-te/", "http://x/index.php/vi/news/kinh-te/"),
        (
            "/index.php?language=vi&nv=news&op=rss/kinh-te",
            "http://x/index.php?language=vi&nv=news&op=kinh-te",
        ),
    ],
)
def test_category_listing_from_rss_alternate(feed: str, listing: str) -> None:
    head = f'<link rel="alternate" type="application/rss+xml" href="{feed.replace("&", "&amp;")}">'
    module_feed = '<link rel="alternate" type="application/rss+xml" href="/rss/">'
    sel = Selector(text=f"<html><head>{module_feed}{head}</head></html>")
    assert nukeviet.category_urls(sel, "http://x/") == [listing]


@pytest.mark.parametrize("variant", VARIANTS)
def test_listing_links_and_pagination(variant: str) -> None:
    prefix = "/vi/news" if variant == "stock-lang" else ""
    page = NUKEVIET / variant / "files" / prefix.strip("/") / "kinh-te/index.html"
    url = f"{RECORDED_ORIGIN}{prefix}/kinh-te/"
    sel = Selector(text=page.read_text(encoding="utf-8"))
    articles = nukeviet.listing_article_urls(sel, url)
    assert len(articles) == 5  # the main column only: sidebar blocks link other articles
    assert all(url in article for article in articles)
    assert nukeviet.next_page_urls(sel, url) == [f"{url}page-2/"]
