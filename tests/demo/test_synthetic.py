"""The synthetic portal serves real-looking NukeViet pages that the real parser reads, over HTTP."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message

import lxml.etree
import lxml.html
import pytest
from parsel import Selector

from newsspider.demo.server import DEMO_SITE_DIR
from newsspider.demo.synthetic import (
    DEFAULT_CATEGORIES,
    VN,
    SyntheticArticle,
    SyntheticPortal,
    SyntheticPortalServer,
    generate_articles,
    slugify,
)
from newsspider.extraction import extract
from newsspider.parsers import nukeviet

START = datetime(2019, 1, 1, 8, 0, tzinfo=VN)
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=VN)
MANIFEST = json.loads((DEMO_SITE_DIR / "manifest.json").read_text(encoding="utf-8"))
RSS_DATE = re.compile(r"(\w{3}), (\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT")
PAGINATION = re.compile(r'<ul class="pagination">.*?</ul>')
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, Message, bytes]:
    """(status, headers, body) of one request; 3xx and 4xx are answers, not errors."""
    try:
        with _OPENER.open(urllib.request.Request(url, method=method), timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def served(clock: Clock) -> Iterator[tuple[SyntheticPortal, SyntheticPortalServer]]:
    """40 articles (5 or 6 per category, 5 per listing page), a clock in June 2026."""
    portal = SyntheticPortal(generate_articles(40), per_page=5, rss_items=10, sitemap_items=25, now=clock)
    with SyntheticPortalServer(portal) as server:
        yield portal, server


def newest_first(articles: list[SyntheticArticle]) -> list[SyntheticArticle]:
    return sorted(articles, key=lambda a: (a.published, a.id), reverse=True)


def page(server: SyntheticPortalServer, path: str) -> Selector:
    status, _, body = fetch(server.url(path))
    assert status == 200, path
    return Selector(text=body.decode("utf-8"))


def walk_listing(server: SyntheticPortalServer, path: str) -> tuple[list[str], list[str]]:
    """Article URLs of a listing, page after page through the ``rel=next`` links; pages seen."""
    urls, pages, url = [], [], server.url(path)
    while url:
        pages.append(url)
        sel = page(server, url[len(server.origin) :])
        urls += nukeviet.listing_article_urls(sel, url)
        following = sel.css("ul.pagination a[rel=next]::attr(href)").get()
        url = server.url(following) if following else ""
    return urls, pages


# -- generation ---------------------------------------------------------------------------------


def test_slugify_gives_the_fixture_aliases() -> None:
    for line in (DEMO_SITE_DIR / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert row["path"].rsplit("/", 1)[1] == f"{slugify(row['title'])}-{row['id']}.html"


def test_default_categories_are_the_demo_sites() -> None:
    urls = json.loads((DEMO_SITE_DIR / "urls.json").read_text(encoding="utf-8"))
    assert {c["alias"]: c["title"] for c in urls["categories"]} == DEFAULT_CATEGORIES
    assert list(DEFAULT_CATEGORIES)[:3] == ["thoi-su", "chinh-tri", "xay-dung-dang"]  # parents, then children


def test_generate_articles_is_deterministic_and_unique() -> None:
    articles = generate_articles(100)
    assert articles == generate_articles(100)
    assert articles != generate_articles(100, seed=1)
    assert [a.id for a in articles] == list(range(1, 101))
    assert len({a.title for a in articles}) == len({a.alias for a in articles}) == 100
    assert articles[0].published == START and all(a.published.tzinfo for a in articles)
    assert [b.published - a.published for a, b in zip(articles, articles[1:], strict=False)] == [
        timedelta(hours=7)
    ] * 99
    assert [a.category for a in articles[:8]] == [*DEFAULT_CATEGORIES, "thoi-su"]
    assert all(a.title and a.summary and a.body_html.startswith("<") for a in articles)


# -- article pages ------------------------------------------------------------------------------


def test_every_article_page_parses_with_the_real_parser(served: tuple) -> None:
    portal, server = served
    for article in generate_articles(40):
        url = server.url("/" + article.path)
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        record = extract(body.decode("utf-8"), url, site="syn")
        assert record["title"] == article.title
        assert record["summary"] == article.summary
        assert record["published_at"] == article.published.astimezone(VN).isoformat()
        assert record["published_at"].endswith("+07:00")
        assert record["native_id"] == str(article.id)
        assert record["canonical_url"] == url
        assert record["authors"] == ([article.author] if article.author else [])
        assert record["source"] == article.source
        assert record["category"] == DEFAULT_CATEGORIES[article.category]
        assert record["view_count"] == article.views
        paragraphs = lxml.html.fragment_fromstring(article.body_html, create_parent="div").xpath("//p")
        for paragraph in paragraphs:
            assert " ".join(paragraph.text_content().split()) in record["body_text"]


def test_article_page_keeps_the_real_nukeviet_chrome(served: tuple) -> None:
    portal, server = served
    article = portal.get(6)
    sel = page(server, "/" + article.path)
    assert sel.css("meta[name=generator]::attr(content)").get() == "NukeViet v4.5"
    assert nukeviet.page_vars(sel)["func_name"] == "detail"
    published = article.published.astimezone(VN)
    assert sel.css("meta[property='article:published_time']::attr(content)").get() == (
        f"{published:%Y-%m-%d}+07{published:%H:%M:%S}"
    )
    assert sel.css("[itemprop=datePublished]::text").get() == published.isoformat()
    weekday = ["Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật"][
        published.weekday()
    ]
    assert sel.css(".newsdetailmetatop span.h5").xpath("string()").get() == (
        f"{weekday} - {published:%d/%m/%Y %H:%M}"
    )
    assert sel.css("ul.temp-breadcrumbs [itemprop=name]::text").getall() == [
        "Trang nhất",
        DEFAULT_CATEGORIES[article.category],
    ]
    assert "Khai mạc Đại hội đại biểu Đảng bộ Các cơ quan tỉnh Bắc Giang" not in sel.get()  # template's own
    assert sel.css("link[rel=canonical]::attr(href)").get() == server.url("/" + article.path)


def test_wrong_alias_or_category_redirects_and_unknown_id_is_a_404_page(served: tuple) -> None:
    portal, server = served
    article = portal.get(3)
    for path in (
        f"/{article.category}/sai-alias-3.html",
        f"/tin-cu/{article.alias}-3.html",
        "/kinh-te/3.html",
    ):
        status, headers, body = fetch(server.url(path))
        assert (status, headers["Location"], body) == (301, "/" + article.path, b""), path
    status, headers, body = fetch(server.url("/kinh-te/bai-khong-ton-tai-9999.html"))
    assert status == 404 and "Lỗi truy cập 404" in body.decode("utf-8")
    assert fetch(server.url("/khong-co/"))[0] == 404
    assert fetch(server.url("/kinh-te"))[1]["Location"] == server.url("/kinh-te/")


# -- listings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("category", ["kinh-te", None])
def test_listings_walk_every_article_newest_first(served: tuple, category: str | None) -> None:
    portal, server = served
    articles = [a for a in generate_articles(40) if category in (None, a.category)]
    urls, pages = walk_listing(server, f"/{category}/" if category else "/")
    assert urls == [server.url("/" + a.path) for a in newest_first(articles)]
    base = f"/{category}/" if category else "/"
    assert pages == [server.url(base)] + [server.url(f"{base}page-{n}/") for n in range(2, len(pages) + 1)]
    assert len(pages) == -(-len(articles) // 5)
    first = page(server, base)
    assert nukeviet.next_page_urls(first, server.url(base))[0] == server.url(f"{base}page-2/")
    assert nukeviet.page_vars(first)["func_name"] == ("viewcat" if category else "main")
    assert first.css("meta[name=generator]::attr(content)").get() == "NukeViet v4.5"
    for path in (f"{base}page-1/", f"{base}page-{len(pages) + 1}/", f"{base}page-99/"):
        status, headers, _ = fetch(server.url(path))
        assert (status, headers["Location"]) == (301, base), path


def test_listing_items_and_pagination_have_the_real_markup(clock: Clock) -> None:
    # Six Kinh tế articles, five per page: the fixture's own two-page category.
    articles = [a for a in generate_articles(42) if a.category == "kinh-te"]
    portal = SyntheticPortal(articles, per_page=5, now=clock)
    origin = "http://127.0.0.1:8088"
    fixture = DEMO_SITE_DIR / "files" / "kinh-te"
    for path, recorded in (
        ("/kinh-te/", fixture / "index.html"),
        ("/kinh-te/page-2/", fixture / "page-2/index.html"),
    ):
        ours = portal.respond(path, origin)[2].decode("utf-8")
        theirs = recorded.read_text(encoding="utf-8")
        assert PAGINATION.findall(ours) == PAGINATION.findall(theirs)
        item = Selector(text=ours).css("div.list-group > a.show.h4")[0]
        assert set(item.attrib) == {
            "class",
            "href",
            "data-content",
            "data-img",
            "data-rel",
            "data-placement",
            "title",
        }
        assert item.css("h4 span.label::text").get() == ("1" if path == "/kinh-te/" else "6")


def test_long_listings_paginate_like_nukeviet(clock: Clock) -> None:
    portal = SyntheticPortal(generate_articles(100), per_page=5, now=clock)
    sel = Selector(text=portal.respond("/page-10/", "http://h")[2].decode("utf-8"))
    labels = sel.css("ul.pagination li").xpath("string()").getall()
    assert labels == ["«", "1", "...", "9", "10", "11", "...", "20", "»"]
    assert sel.css("ul.pagination li.active a::text").get() == "10"
    assert sel.css("a[rel=next]::attr(href)").getall() == ["/page-11/", "/page-20/", "/page-11/"]


def test_category_urls_on_the_home_page_return_every_category(served: tuple) -> None:
    _, server = served
    home = page(server, "/")
    assert nukeviet.category_urls(home, server.url("/")) == [server.url(f"/{c}/") for c in DEFAULT_CATEGORIES]
    feeds = home.css("link[rel=alternate][type='application/rss+xml']::attr(href)").getall()
    assert feeds == ["/rss/"] + [f"/rss/{c}/" for c in DEFAULT_CATEGORIES]


# -- feeds, sitemaps, robots --------------------------------------------------------------------


def rss_items(server: SyntheticPortalServer, path: str) -> list[lxml.etree._Element]:
    status, headers, body = fetch(server.url(path))
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=utf-8"
    root = lxml.etree.fromstring(body)
    assert root.tag == "rss" and root.get("version") == "2.0"
    return root.findall("channel/item")


def expected_pubdate(moment: datetime) -> str:
    t = moment.astimezone(UTC)
    return f"{t:%a}, {t.day} {t:%b %Y %H}:{t:%m}:{t:%S} GMT"


@pytest.mark.parametrize("category", [None, "van-hoa-xa-hoi"])
def test_rss_feeds_list_the_newest_items_with_the_pubdate_bug(served: tuple, category: str | None) -> None:
    portal, server = served
    articles = newest_first([a for a in generate_articles(40) if category in (None, a.category)])[:10]
    items = rss_items(server, f"/rss/{category}/" if category else "/rss/")
    assert [item.findtext("link") for item in items] == [server.url("/" + a.path) for a in articles]
    for item, article in zip(items, articles, strict=True):
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert (guid.text or "").strip() == f"news_{article.id}"
        assert item.findtext("title") == article.title
        assert (item.findtext("description") or "").strip() == article.summary.replace("\n", "<br />")
        pub_date = item.findtext("pubDate") or ""
        assert pub_date == expected_pubdate(article.published)
        match = RSS_DATE.fullmatch(pub_date)
        assert match and int(match[6]) == article.published.astimezone(UTC).month  # minutes = month


def sitemap_entries(server: SyntheticPortalServer) -> list[tuple[str, str]]:
    status, _, body = fetch(server.url("/sitemap-vi.news.xml"))
    assert status == 200
    root = lxml.etree.fromstring(body)
    assert [e.findtext("sm:changefreq", namespaces=SITEMAP_NS) for e in root][:1] == ["daily"]
    return [
        (
            e.findtext("sm:loc", namespaces=SITEMAP_NS) or "",
            e.findtext("sm:lastmod", namespaces=SITEMAP_NS) or "",
        )
        for e in root.findall("sm:url", SITEMAP_NS)
    ]


def test_sitemaps_list_the_newest_articles_with_their_publish_time(served: tuple) -> None:
    _, server = served
    index = lxml.etree.fromstring(fetch(server.url("/sitemap.xml"))[2])
    locs = [loc.text for loc in index.iterfind("sm:sitemap/sm:loc", SITEMAP_NS)]
    assert locs == [server.url("/sitemap-vi.about.xml"), server.url("/sitemap-vi.news.xml")]
    about = lxml.etree.fromstring(fetch(server.url("/sitemap-vi.about.xml"))[2])
    assert [loc.text for loc in about.iterfind("sm:url/sm:loc", SITEMAP_NS)] == [
        server.url("/about/gioi-thieu-ve-nukeviet.html")
    ]
    expected = newest_first(generate_articles(40))[:25]
    assert sitemap_entries(server) == [
        (server.url("/" + a.path), a.published.astimezone(VN).isoformat()) for a in expected
    ]


def test_robots_and_content_types_are_the_fixtures(served: tuple) -> None:
    portal, server = served
    status, headers, body = fetch(server.url("/robots.txt"))
    assert status == 200 and headers["Content-Type"] == MANIFEST["/robots.txt"]["content_type"]
    assert body.decode().splitlines()[-1] == f"Sitemap: {server.url('/sitemap.xml')}"
    assert "Disallow: /admin/" in body.decode()
    for path, recorded in (("/", "/"), ("/rss/", "/rss/"), ("/sitemap.xml", "/sitemap.xml")):
        assert fetch(server.url(path))[1]["Content-Type"] == MANIFEST[recorded]["content_type"]
    status, headers, body = fetch(server.url("/" + portal.get(1).path), method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 10_000
    assert server.requests[-1] == ("HEAD", "/" + portal.get(1).path, 200)


# -- mutation -----------------------------------------------------------------------------------


def test_add_puts_a_new_article_on_top_everywhere(served: tuple, clock: Clock) -> None:
    portal, server = served
    new = SyntheticArticle(
        id=1000,
        category="kinh-te",
        title="Đường cao tốc mới thông xe",
        summary="Tuyến đường rút ngắn thời gian di chuyển còn 30 phút.",
        body_html="<p>Sáng nay, tuyến cao tốc chính thức thông xe.</p>",
        published=clock.now - timedelta(minutes=5),
        author="Minh Anh",
    )
    portal.add(new)
    url = server.url("/kinh-te/duong-cao-toc-moi-thong-xe-1000.html")
    assert nukeviet.listing_article_urls(page(server, "/kinh-te/"), server.url("/kinh-te/"))[0] == url
    assert nukeviet.listing_article_urls(page(server, "/"), server.url("/"))[0] == url
    assert rss_items(server, "/rss/")[0].findtext("link") == url
    assert rss_items(server, "/rss/kinh-te/")[0].findtext("link") == url
    assert sitemap_entries(server)[0] == (url, new.published.isoformat())
    record = extract(fetch(url)[2].decode("utf-8"), url, site="syn")
    assert (record["title"], record["authors"], record["source"]) == (new.title, ["Minh Anh"], None)
    with pytest.raises(ValueError):
        portal.add(new)


def test_edit_changes_the_page_and_the_sitemap_lastmod(served: tuple, clock: Clock) -> None:
    portal, server = served
    before = portal.get(12)
    clock.now += timedelta(hours=1)
    after = portal.edit(12, body_html="<p>Nội dung đã được cập nhật.</p>", title="Tiêu đề mới")
    assert after.modified == clock.now and portal.get(12) is after
    url = server.url("/" + after.path)
    assert (
        fetch(server.url("/" + before.path))[1]["Location"] == "/" + after.path
    )  # the alias followed the title
    record = extract(fetch(url)[2].decode("utf-8"), url, site="syn")
    assert (record["title"], record["body_text"]) == ("Tiêu đề mới", "Nội dung đã được cập nhật.")
    assert record["published_at"] == before.published.astimezone(VN).isoformat()
    assert record["modified_at"] == clock.now.isoformat()
    lastmod = dict(sitemap_entries(server))
    assert lastmod.get(url) in (None, clock.now.isoformat())  # listed when among the newest 25
    portal.edit(40, summary="Tóm tắt mới.")
    assert dict(sitemap_entries(server))[server.url("/" + portal.get(40).path)] == clock.now.isoformat()


def test_sitemap_can_keep_the_publish_time_like_real_nukeviet(clock: Clock) -> None:
    portal = SyntheticPortal(generate_articles(3), lastmod_tracks_edits=False, now=clock)
    portal.edit(3, body_html="<p>Sửa.</p>")
    body = portal.respond("/sitemap-vi.news.xml", "http://h")[2].decode()
    assert f"<lastmod>{portal.get(3).published.isoformat()}</lastmod>" in body


def test_scheduled_articles_are_hidden_until_their_time(served: tuple, clock: Clock) -> None:
    portal, server = served
    future = SyntheticArticle(
        id=2000,
        category="thong-bao",
        title="Thông báo nghỉ lễ",
        summary="Lịch nghỉ lễ năm nay.",
        body_html="<p>Nghỉ lễ từ ngày 30/4.</p>",
        published=clock.now + timedelta(days=1),
    )
    portal.add(future)
    url = server.url("/" + future.path)
    status, _, body = fetch(url)
    assert status == 404 and "Lỗi truy cập 404" in body.decode("utf-8")
    assert fetch(server.url("/thong-bao/sai-alias-2000.html"))[0] == 404
    assert url not in walk_listing(server, "/thong-bao/")[0]
    assert url not in [item.findtext("link") for item in rss_items(server, "/rss/")]
    assert url not in dict(sitemap_entries(server))
    clock.now += timedelta(days=2)
    assert fetch(url)[0] == 200
    assert walk_listing(server, "/thong-bao/")[0][0] == url


# -- scale --------------------------------------------------------------------------------------


def test_a_10000_article_portal_is_fast() -> None:
    started = time.perf_counter()
    articles = generate_articles(10_000)
    portal = SyntheticPortal(articles, now=lambda: datetime(2100, 1, 1, tzinfo=UTC))
    rng = random.Random(0)
    paths = ["/" + rng.choice(articles).path for _ in range(70)]
    paths += [f"/page-{rng.randint(2, 500)}/" for _ in range(10)]
    paths += [f"/{rng.choice(list(DEFAULT_CATEGORIES))}/page-{rng.randint(2, 70)}/" for _ in range(15)]
    paths += ["/", "/rss/", "/rss/kinh-te/", "/sitemap-vi.news.xml", "/sitemap.xml"]
    with SyntheticPortalServer(portal) as server:
        statuses = {fetch(server.url(path))[0] for path in paths}
    assert statuses == {200}
    assert time.perf_counter() - started < 5


def test_cli_serves_a_generated_portal() -> None:
    command = [sys.executable, "-m", "newsspider.demo.synthetic", "--articles", "30", "--per-page", "4"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as process:
        try:
            assert process.stdout is not None
            origin = process.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", origin)
            sel = Selector(text=fetch(origin + "/")[2].decode("utf-8"))
            assert len(nukeviet.listing_article_urls(sel, origin + "/")) == 4
        finally:
            process.terminate()
            process.wait(timeout=10)
