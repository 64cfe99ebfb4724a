"""The compiled look-ups of the NukeViet parser select what the parsel CSS/XPath they replace did.

The parser runs precompiled queries on the lxml tree, walks the page lazily for single elements
and finds the rating form by id (see the module docstring). Each test here puts the original
parsel expression beside the parser's answer on markup built to tell them apart.
"""

from __future__ import annotations

import pytest
from gold import FIXTURES
from parsel import Selector

from newsspider.parsers import nukeviet
from newsspider.text.html import element_text

PAGES = sorted((FIXTURES / "nukeviet").rglob("*.html"))


def _page(body: str, head: str = "") -> Selector:
    return Selector(text=f"<html><head>{head}</head><body>{body}</body></html>")


@pytest.mark.parametrize("path", PAGES[::7], ids=lambda path: path.name)
def test_fixture_pages_read_as_with_parsel(path) -> None:
    sel = Selector(text=path.read_text(encoding="utf-8"))
    article = sel.css("div.news_column[itemtype*='NewsArticle'], div.news_column.newsdetail")[:1]
    container = nukeviet._article_container(sel.root)
    assert (container is None) == (not article)
    if article:
        assert container is article[0].root
    old_vars = sel.xpath("//script[not(@src)][contains(., 'nv_base_siteurl')]/text()").getall()
    assert bool(nukeviet.page_vars(sel)) == bool(old_vars)
    assert nukeviet._tags(sel.root) == list(
        dict.fromkeys(
            name.strip()
            for name in sel.css("div.news_column a[href*='/tag/'] em::text").getall()
            or sel.xpath("//meta[@property='article:tag']/@content").getall()
            if name.strip()
        )
    )
    body = (article or sel).css("#news-bodyhtml") or (article or sel).css("div.bodytext")
    if body:
        assert nukeviet._inner_html(body[0].root) == "".join(body[:1].xpath("node()").getall())


def test_container_class_tokens_as_css() -> None:
    sel = _page(
        "<div class='news_columns' itemtype='https://schema.org/NewsArticle'>not it</div>"
        "<div class='x\tnews_column' itemtype='NewsArticle'>it</div>"
        "<div class='news_column newsdetail'>later</div>"
    )
    css = sel.css("div.news_column[itemtype*='NewsArticle'], div.news_column.newsdetail")
    assert nukeviet._article_container(sel.root) is css[0].root
    assert element_text(css[0].root) == "it"


def test_container_by_eGov_class_alone() -> None:
    sel = _page("<div class='news_column'>a</div><div class='newsdetail news_column'>b</div>")
    assert element_text(nukeviet._article_container(sel.root)) == "b"
    assert nukeviet._article_container(_page("<div class='newsdetail'>x</div>").root) is None


def test_tags_only_inside_a_news_column() -> None:
    sel = _page(
        "<div class='tags'><a href='/tag/outside'><em>outside</em></a></div>"
        "<div class='news_column'><div><a href='/tag/a'><em>a</em> <em>b</em></a>"
        "<a href='/other/'><em>not a tag</em></a></div></div>"
        "<div class='news_column panel'><a href='/tag/c'><span><em>c</em></span></a></div>"
    )
    assert sel.css("div.news_column a[href*='/tag/'] em::text").getall() == ["a", "b", "c"]
    assert nukeviet._tags(sel.root) == ["a", "b", "c"]


def test_first_meta_and_link_as_xpath() -> None:
    sel = _page(
        "<meta property='og:title' content='in body'>",
        head="<meta property='og:title'><meta name='generator' content='NukeViet v4.5'>"
        "<link rel='canonical'><link rel='canonical' href='/b.html'>"
        "<meta property='og:title' content='head'>",
    )
    assert nukeviet._meta(sel.root, "og:title") == sel.xpath("//meta[@property='og:title']/@content").get()
    assert nukeviet._first_link(sel.root, "canonical") == "/b.html"
    assert nukeviet.is_nukeviet(sel)


def test_rating_form_found_by_id_as_by_css() -> None:
    form = "<form id='form3B'><p id='stringrating'>Tổng số điểm là: {} trong {} đánh giá</p></form>"
    sel = _page("<div>" + form.format(9, 2) + "</div><div>" + form.format(4, 1) + "</div>")
    assert sel.css("#form3B #stringrating::text").get() == "Tổng số điểm là: 9 trong 2 đánh giá"
    assert nukeviet._rating(sel.root) == {"score": 4.5, "votes": 2}
    assert nukeviet._rating(_page("<p id='stringrating'>Tổng số điểm là: 9 trong 2</p>").root) is None


def test_page_vars_read_once_per_page_and_copied() -> None:
    script = '<script>var nv_base_siteurl="/",nv_func_name="{}";</script>'
    first, second = _page(script.format("detail")), _page(script.format("main"))
    assert nukeviet.page_vars(first)["func_name"] == "detail"
    assert nukeviet.page_vars(second)["func_name"] == "main"
    nukeviet.page_vars(first)["func_name"] = "changed"
    assert nukeviet.page_vars(first)["func_name"] == "detail"
    assert nukeviet.page_vars(_page("<script src='x.js'></script>")) == {}


def test_published_time_without_the_tail_as_a_reparse_gave() -> None:
    sel = _page(
        "<div class='newsdetailmetatop'><span class='h5'>Thứ hai - <b>24/08/2020</b> 00:08</span>"
        " 150 lượt xem</div>"
    )
    (span,) = sel.css(".newsdetailmetatop span")
    reparsed = element_text(Selector(span.get()).root)
    assert nukeviet._published_raw(sel.root) == reparsed == "Thứ hai - 24/08/2020 00:08"


def test_inner_html_keeps_text_nodes_as_parsel_gives_them() -> None:
    sel = _page("<div id='news-bodyhtml'>a &lt; b <!-- c --><p>d &amp; e</p>f</div>")
    (body,) = sel.css("#news-bodyhtml")
    assert nukeviet._inner_html(body.root) == "".join(body.xpath("node()").getall())
