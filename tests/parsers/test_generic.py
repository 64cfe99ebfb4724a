"""The generic family (with clean and normalize): NukeViet pages as if the CMS were unknown, the
WordPress fixture site against its database values, and hand-written single-source pages."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from gold import (
    BOILERPLATE_PHRASES,
    FIXTURES,
    NUKEVIET,
    RECORDED_ORIGIN,
    VARIANTS,
    article_file,
    gold_records,
    paragraphs,
)  # fmt: skip
from parsel import Selector

from newsspider.extraction import NotAnArticle, extract
from newsspider.parsers import detect_family, generic, nukeviet
from newsspider.parsers._profile import check_profile
from newsspider.pipelines.clean import clean_record
from newsspider.pipelines.normalize import normalize_record

NV_VISIBLE = [(variant, gold) for variant in VARIANTS for gold in gold_records(variant) if gold["visible"]]
WORDPRESS = FIXTURES / "wordpress" / "twentytwentyone"
WP_ORIGIN = "http://127.0.0.1:8092"
WP_MANIFEST = json.loads((WORDPRESS / "manifest.json").read_text(encoding="utf-8"))
WP_GOLD = [json.loads(line) for line in (WORDPRESS / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
WP_VISIBLE = [gold for gold in WP_GOLD if gold["visible"]]
# What trafilatura drops from a WordPress body: the file block's link line (post 42, "…(PDF)").
WP_BODY_GAPS = {42: ["Thông báo tuyển dụng viên chức năm 2022 (PDF)"]}
HAND = FIXTURES / "generic"


def _nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text else text


def _wp_page(gold: dict) -> str:
    return (WORDPRESS / WP_MANIFEST[gold["path"]]["file"]).read_text(encoding="utf-8")


def _hand(name: str) -> str:
    return (HAND / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("variant", "gold"), NV_VISIBLE, ids=[f"{v}-{g['id']}" for v, g in NV_VISIBLE])
def test_nukeviet_page_read_as_unknown_cms(variant: str, gold: dict) -> None:
    """Title, publish time and a boilerplate-free body still come out without the NukeViet parser.

    The publish time is read from ``article:published_time``: malformed (``2020-08-24+0700:08:00``)
    but the publish time, and it comes before microdata ``datePublished``, which is the edit time.
    """
    html = article_file(variant, gold).read_text(encoding="utf-8")
    record = extract(html, gold["url"], site="demo", family="generic")
    assert record["extractor"] == "generic/1"
    assert record["title"] == gold["title"]
    assert record["published_at"] == gold["published_at"]
    assert record["native_id"] == str(gold["id"])
    body = paragraphs(record["body_text"])
    assert [line for line in paragraphs(gold["body_text"]) if line not in body] == []
    for phrase in BOILERPLATE_PHRASES:
        assert phrase not in (record["body_text"] or ""), phrase


def test_edited_nukeviet_article_keeps_publish_time() -> None:
    """Article 30: microdata datePublished is the edit time; generic reads the publish time."""
    gold = next(g for g in gold_records("stock-lang") if g["id"] == 30)
    record = extract(
        article_file("stock-lang", gold).read_text(encoding="utf-8"), gold["url"], family="generic"
    )
    assert record["published_at"] == gold["published_at"] != gold["updated_at"]
    assert record["modified_at"] == gold["updated_at"]


@pytest.mark.parametrize("gold", WP_VISIBLE, ids=[str(g["id"]) for g in WP_VISIBLE])
def test_wordpress_article_fields_match_gold(gold: dict) -> None:
    record = extract(_wp_page(gold), gold["url"], site="wp", family="generic")
    lead = gold["image"]
    images = [{"url": WP_ORIGIN + lead["src"], "caption": _nfc(lead["caption"]) or None}] if lead else []
    images += [
        {"url": WP_ORIGIN + image["src"], "caption": _nfc(image["caption"])} for image in gold["body_images"]
    ]
    assert {
        "id": record["id"],
        "canonical_url": record["canonical_url"],
        "title": record["title"],
        "authors": record["authors"],
        "source": record["source"],
        "source_url": record["source_url"],
        "published_at": record["published_at"],
        "category": record["category"],
        "tags": sorted(record["tags"]),
        "images": [{"url": image["url"], "caption": image["caption"]} for image in record["images"]],
        "language": record["language"],
    } == {
        "id": f"wp:{gold['id']}",  # from <link rel="shortlink" href="/?p=ID">
        "canonical_url": gold["url"],
        "title": gold["title"],
        "authors": [gold["author"]],
        "source": gold["source"],
        "source_url": gold["source_url"],
        "published_at": gold["published_at"],
        "category": gold["category"]["title"],
        "tags": sorted(tag["name"] for tag in gold["tags"]),
        "images": images,
        "language": "vi",
    }
    if gold["updated_at"] == gold["published_at"]:  # WordPress prints the edit time nowhere on the page
        assert record["modified_at"] == gold["updated_at"]
    # The "Nguồn tin:" line is the source field, not body text; everything else is body.
    body = paragraphs(record["body_text"])
    wanted = [_nfc(" ".join(line.split())) for line in paragraphs(gold["body_text"])]
    missing = [line for line in wanted if line not in body and not line.startswith("Nguồn tin:")]
    assert missing == WP_BODY_GAPS.get(gold["id"], [])
    for phrase in ("Leave a comment", "says:", "Post navigation", "Phản hồi gần đây", "Bài viết mới"):
        assert phrase not in (record["body_text"] or ""), phrase


def test_jsonld_only_article() -> None:
    url = "https://baotinh.example.vn/kinh-te/khanh-thanh-cau-dong-son.html"
    record = extract(_hand("jsonld.html"), url, site="t", family="generic")
    assert {key: record[key] for key in ("native_id", "title", "summary", "published_at", "modified_at",
                                         "authors", "category", "breadcrumbs", "tags", "language")} == {
        "native_id": "20240910-0001",
        "title": "Khánh thành cầu Đồng Sơn nối đôi bờ sông Thương",
        "summary": "Cây cầu dài 680 m rút ngắn quãng đường từ trung tâm tỉnh sang các xã phía nam.",
        "published_at": "2024-09-10T08:30:00+07:00",
        "modified_at": "2024-09-10T15:00:00+07:00",
        "authors": ["Minh Hà", "Quốc Toản"],
        "category": "Kinh tế",
        "breadcrumbs": ["Trang chủ", "Kinh tế"],  # ordered by position, not by listing order
        "tags": ["giao thông", "cầu Đồng Sơn"],
        "language": "vi",
    }  # fmt: skip
    assert record["images"][0]["url"] == "https://baotinh.example.vn/anh/2024/09/cau-dong-son.jpg"
    assert paragraphs(record["body_text"])[0].startswith("Sáng 10/9, UBND tỉnh tổ chức lễ khánh thành")
    assert "Cầu Đồng Sơn nhìn từ bờ nam sông Thương." in record["body_text"]  # a figcaption is text
    assert "Đọc nhiều" not in record["body_text"] and "Ghi rõ nguồn" not in record["body_text"]


def test_opengraph_only_article() -> None:
    url = "https://tandinh.example.gov.vn/tin-tuc/ra-quan-lam-duong-giao-thong-2041.html"
    record = extract(_hand("opengraph.html"), url, site="t", family="generic")
    assert record["native_id"] == "2041"
    assert record["title"] == "Xã Tân Dĩnh ra quân làm đường giao thông nông thôn"
    assert record["summary"] == "Hơn 300 người dân tham gia ngày ra quân làm 2 km đường bê tông liên thôn."
    assert record["published_at"] == "2023-05-12T14:05:00+07:00"  # NukeViet's "…ICT14:05:00" repaired
    assert record["published_at_raw"] == "2023-05-12ICT14:05:00"
    assert record["modified_at"] == "2023-05-13T09:00:00+07:00"
    assert record["authors"] == []  # <meta name="author"> names the site: no byline
    assert record["category"] == "Tin tức - Sự kiện"
    assert record["tags"] == ["nông thôn mới", "giao thông"]
    assert record["images"] == [
        {"url": "https://tandinh.example.gov.vn/uploads/2023_05/ra-quan.jpg", "caption": None,
         "alt": "Người dân ra quân làm đường"}
    ]  # fmt: skip
    assert len(paragraphs(record["body_text"])) == 3
    assert "Lịch công tác" not in record["body_text"]


def test_microdata_only_article() -> None:
    url = "https://sgd.example.gov.vn/tin-tuc/hoi-nghi-tong-ket-nam-hoc"
    record = extract(_hand("microdata.html"), url, site="t", family="generic")
    assert record["title"] == "Hội nghị tổng kết năm học 2023 - 2024"
    assert record["summary"] == "Năm học 2023 - 2024, toàn ngành có 98,5% học sinh tốt nghiệp THPT."
    assert record["published_at"] == "2024-07-20T09:15:00+07:00"
    assert record["modified_at"] == "2024-07-21T10:00:00+07:00"
    assert record["authors"] == ["Lan Anh"]
    assert paragraphs(record["body_text"]) == [
        "Ngày 20/7, Sở Giáo dục và Đào tạo tổ chức hội nghị tổng kết năm học 2023 - 2024 và triển khai "
        "nhiệm vụ năm học mới.",
        "Kết quả nổi bật",  # headings and lists of the articleBody are kept
        "98,5% học sinh tốt nghiệp THPT;",
        "42 giải học sinh giỏi quốc gia;",
        "Năm học mới, ngành tiếp tục thực hiện chương trình giáo dục phổ thông 2018 ở tất cả các khối lớp.",
    ]
    # No id in the URL and none declared: a stable hash of the path.
    assert (
        record["native_id"] == generic.parse_article(Selector(text=_hand("microdata.html")), url)["native_id"]
    )
    assert record["native_id"].startswith("h") and len(record["native_id"]) == 13


PROFILE = {
    "article": "h1.title-detail",
    "title": "h1.title-detail::text",
    "summary": "div.news_detail_sapo",
    "body": "div.detail-main",
    "published_at": "span.date-detail::text",
    "authors": "xpath://span[@class='author-detail']/text()",
    "category": "xpath:(//div[@class='breadcrumb-detail']/a)[last()]",
    "breadcrumbs": "div.breadcrumb-detail a",
    "tags": "div.tags-detail a",
    "images": "div.detail-main img",
    "article_url": r"-postid(\d+)\.bbg$",
    "article_links": "a.font-tin-doc",
}


def test_profile_overrides_every_field() -> None:
    url = "https://baobacninhtv.example.vn/xuat-khau-vai-thieu-dat-ky-luc-postid123.bbg"
    sel = Selector(text=_hand("profile.html"))
    assert not generic.is_article_page(sel)  # nothing structured, no <article>
    assert generic.is_article_page(sel, profile=PROFILE)
    record = generic.parse_article(sel, url, profile=check_profile(PROFILE)) | {"url": url, "site": "bbn"}
    clean_record(record)
    normalize_record(record)
    assert {key: record[key] for key in ("id", "title", "summary", "published_at", "published_at_raw",
                                         "authors", "category", "breadcrumbs", "tags", "images")} == {
        "id": "bbn:123",
        "title": "Xuất khẩu vải thiều đạt kỷ lục",
        "summary": "Vụ vải năm 2024, sản lượng xuất khẩu đạt hơn 60.000 tấn, cao nhất từ trước đến nay.",
        "published_at": "2024-06-24T16:45:00+07:00",
        "published_at_raw": "Thứ Hai, 24/06/2024 - 16:45",
        "authors": ["Thu Hương"],
        "category": "Kinh tế",
        "breadcrumbs": ["Trang chủ", "Kinh tế"],
        "tags": ["vải thiều", "xuất khẩu"],
        "images": [{"url": "https://img.baobacninhtv.example.vn/Medias/2024/06/vai-thieu.jpg",
                    "caption": "Thu hoạch vải thiều tại huyện Lục Ngạn.", "alt": "Vải thiều"}],
    }  # fmt: skip
    assert paragraphs(record["body_text"])[:2] == [
        "Theo Sở Công Thương, tính đến ngày 24/6, toàn tỉnh đã xuất khẩu hơn 60.000 tấn vải thiều sang 30 "
        "quốc gia và vùng lãnh thổ.",
        "Giá vải thiều năm nay dao động từ 25.000 đến 40.000 đồng/kg, cao hơn năm trước khoảng 20%.",
    ]
    assert generic.listing_article_urls(sel, url, profile=PROFILE) == [
        "https://baobacninhtv.example.vn/tin-khac-postid999.bbg"
    ]


def test_without_profile_the_visible_date_and_h1_are_read() -> None:
    url = "https://baobacninhtv.example.vn/xuat-khau-vai-thieu-dat-ky-luc-postid123.bbg"
    fields = generic.parse_article(Selector(text=_hand("profile.html")), url)
    assert fields["published_at"] == "2024-06-24T16:45:00+07:00"
    assert fields["title"] == "Xuất khẩu vải thiều đạt kỷ lục"
    assert fields["native_id"] == "123"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"titel": "h1"}, "unknown profile keys"),
        ({"title": "h1[["}, "not a valid selector"),
        ({"title": "xpath://h1[@"}, "not a valid selector"),
        ({"article_url": "(unclosed"}, "not a valid selector"),
        ({"title": ""}, "non-empty string"),
    ],
)
def test_bad_profile_is_refused(profile: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_profile(profile)


def test_family_detection() -> None:
    gold = WP_VISIBLE[0]
    assert detect_family(Selector(text=_wp_page(gold))) == "generic"
    nukeviet_page = article_file("egov-short", gold_records("egov-short")[0]).read_text(encoding="utf-8")
    assert detect_family(Selector(text=nukeviet_page)) == "nukeviet"  # NukeViet fingerprints first
    assert detect_family(Selector(text=_hand("profile.html"))) == "generic"


@pytest.mark.parametrize(
    "path",
    [
        WORDPRESS / "files/index.html",
        WORDPRESS / "files/category/kinh-te/index.html",
        NUKEVIET / "egov-short/files/kinh-te/index.html",
    ],
)
def test_listing_pages_are_not_articles(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    assert not generic.is_article_page(Selector(text=html))
    with pytest.raises(NotAnArticle):
        extract(html, "http://127.0.0.1/x/", family="generic")


def test_wordpress_listing_links_and_pagination() -> None:
    url = f"{WP_ORIGIN}/category/kinh-te/"
    sel = Selector(text=(WORDPRESS / "files/category/kinh-te/index.html").read_text(encoding="utf-8"))
    kinh_te = [gold["url"] for gold in WP_VISIBLE if any(c["alias"] == "kinh-te" for c in gold["categories"])]
    articles = generic.listing_article_urls(sel, url)
    assert len(articles) == 5 and set(articles) <= set(kinh_te)  # not the footer's "recent posts"
    assert generic.next_page_urls(sel, url) == [f"{url}page/2/"]
    categories = generic.category_urls(sel, url)
    assert f"{WP_ORIGIN}/category/thoi-su/" in categories and f"{WP_ORIGIN}/" not in categories


@pytest.mark.parametrize("variant", VARIANTS)
def test_nukeviet_listing_links_and_pagination(variant: str) -> None:
    prefix = "/vi/news" if variant == "stock-lang" else ""
    page = NUKEVIET / variant / "files" / prefix.strip("/") / "kinh-te/index.html"
    url = f"{RECORDED_ORIGIN}{prefix}/kinh-te/"
    sel = Selector(text=page.read_text(encoding="utf-8"))
    articles = generic.listing_article_urls(sel, url)
    # Every article of the listing is found, in page order. NukeViet's sidebar columns are plain
    # <div>s, so their article-shaped links (the About pages) come too: is_article_page sorts them.
    listed = nukeviet.listing_article_urls(sel, url)
    assert [article for article in articles if article in listed] == listed
    assert f"{url}page-2/" in generic.next_page_urls(sel, url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://baobacgiang.com.vn/bg/the-thao/177110/san-co-nhan-tao.html", "177110"),
        ("https://baobacninhtv.vn/xuat-khau-vai-thieu-postid420123.bbg", "420123"),
        ("https://baoquangbinh.vn/chinh-tri/202210/hoi-nghi-tinh-uy-2203929/", "2203929"),
        ("https://baocantho.com.vn/le-hoi-a123456.html", "123456"),
        ("https://x.vn/thoi-su/ky-hop-thu-10-4.html", "4"),
        ("https://x.vn/pages/chi-tiet-tin.aspx?id=512&loai=1", "512"),
        ("https://x.vn/2024/09/khac-phuc-hau-qua-bao/", "h"),  # date-shaped, no id: path hash
        ("https://x.vn/category/kinh-te/", None),
        ("https://x.vn/category/kinh-te/page/2/", None),
        ("https://x.vn/tin-tuc/trang-2.html", None),
        ("https://x.vn/tag/du-lich/", None),
        ("https://x.vn/uploads/thong-bao-2024.pdf", None),
        ("https://x.vn/2024/09/bai-viet/?replytocom=16", None),
    ],
)
def test_article_id_of_url_shapes(url: str, expected: str | None) -> None:
    found = generic.article_id(url)
    assert (found[:1] if found and expected == "h" else found) == expected


@pytest.mark.parametrize(
    "url",
    ["https://x.vn/wp-login.php", "https://x.vn/tim-kiem?q=a", "https://x.vn/?s=a", "https://x.vn/wp-json/"],
)
def test_blocked_urls(url: str) -> None:
    assert generic.is_blocked_url(url)


@pytest.mark.parametrize(
    "url", ["https://x.vn/feed/", "https://x.vn/wp-sitemap.xml", "https://x.vn/rss/tin-tuc.rss"]
)
def test_discovery_sources_are_not_blocked_but_never_articles(url: str) -> None:
    assert not generic.is_blocked_url(url)
    assert generic.article_id(url) is None
