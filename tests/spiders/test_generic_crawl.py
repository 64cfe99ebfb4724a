"""End-to-end crawls of sites that do not run NukeViet: detected as generic, or driven by a profile."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from crawling import read_jsonl, run_crawl
from gold import FIXTURES, paragraphs
from test_encoding import cp1258_bytes, tcvn3_bytes, vni_bytes

from newsspider.demo.server import FixtureServer

WORDPRESS = FIXTURES / "wordpress" / "twentytwentyone"
PROFILE_PAGE = (FIXTURES / "generic" / "profile.html").read_text(encoding="utf-8")


def test_a_wordpress_site_is_detected_as_generic_and_crawled(tmp_path: Path) -> None:
    gold = {
        record["id"]: record for record in map(json.loads, (WORDPRESS / "gold.jsonl").open(encoding="utf-8"))
    }
    with FixtureServer(WORDPRESS) as server:
        result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "wp.jsonl")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "generic portal" in result.stderr
    records = {int(record["native_id"]): record for record in read_jsonl(tmp_path / "wp.jsonl")}
    published = {post_id for post_id, post in gold.items() if post["status"] == "publish"}
    assert sorted(records) == sorted(published)  # the scheduled and the draft post never
    for post_id in published:
        record, post = records[post_id], gold[post_id]
        assert record["title"] == post["title"]
        assert record["published_at"] == post["published_at"]
        assert record["extractor"] == "generic/1" and record["encoding_detected"] == "utf-8"
        kept = set(paragraphs(record["body_text"]))
        expected = paragraphs(unicodedata.normalize("NFC", post["body_text"]))  # post 72 is stored in NFD
        missing = [line for line in expected if line not in kept]
        assert len(missing) <= 1, (post_id, missing)  # trafilatura drops a file-block link line


def _profile_page(title: str, date: str) -> tuple[bytes, str]:
    body = PROFILE_PAGE.replace("Xuất khẩu vải thiều đạt kỷ lục", title).replace("24/06/2024 - 16:45", date)
    return body.encode("utf-8"), "text/html; charset=utf-8"


def _newspaper(
    workdir: Path,
    articles: dict[int, tuple[str, str]],
    render: Callable[[str, str], tuple[bytes, str]] = _profile_page,
) -> Path:
    """Write a small newspaper site with its own CMS: a section listing over two pages, and
    ``…-postid<id>.bbg`` articles (by default cut from the hand-written profile page)."""
    site = workdir / "newspaper"
    (site / "files").mkdir(parents=True)
    manifest: dict[str, dict[str, object]] = {}

    def page(target: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        name = f"f{len(manifest)}"
        (site / "files" / name).write_bytes(body)
        manifest[target] = {
            "status": 200,
            "content_type": content_type,
            "file": f"files/{name}",
            "kind": "page",
        }

    page("/robots.txt", b"User-agent: *\nDisallow: /admin/\n", "text/plain")
    page("/", '<html><body><div class="menu-top"><a href="/kinh-te">Kinh tế</a></div></body></html>'.encode())
    ids = sorted(articles, reverse=True)
    for number, chunk in enumerate((ids[:3], ids[3:]), start=1):
        links = "".join(
            f'<a class="font-tin-doc" href="/bai-viet-postid{i}.bbg">{articles[i][0]}</a>' for i in chunk
        )
        more = '<a class="next" href="/kinh-te?page=2">Trang sau</a>' if number == 1 else ""
        target = "/kinh-te" if number == 1 else "/kinh-te?page=2"
        page(target, f"<html><body>{links}{more}</body></html>".encode())
    for article_id, (title, date) in articles.items():
        page(f"/bai-viet-postid{article_id}.bbg", *render(title, date))
    (site / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (site / "variant.json").write_text(json.dumps({"origin": "http://newspaper.invalid"}), encoding="utf-8")
    return site


def _sites_toml(workdir: Path, origin: str) -> None:
    """Add the newspaper to the sites.toml of the crawl's working directory, with its profile."""
    (workdir / "sites.toml").write_text(
        f'[baobacninh-test]\nurl = "{origin}/"\nstart_pages = ["{origin}/kinh-te"]\n'
        "[baobacninh-test.profile]\n"
        'title = "h1.title-detail::text"\nsummary = "div.news_detail_sapo"\nbody = "div.detail-main"\n'
        'published_at = "span.date-detail::text"\nauthors = "span.author-detail::text"\n'
        'article_url = "-postid(\\\\d+)\\\\.bbg$"\narticle_links = "a.font-tin-doc"\nnext_page = "a.next"\n',
        encoding="utf-8",
    )


def test_a_newspaper_with_its_own_cms_is_added_by_a_profile_in_sites_toml(tmp_path: Path) -> None:
    articles = {
        201: ("Khai mạc Hội chợ thương mại", "Thứ Hai, 01/07/2024 - 08:00"),
        202: ("Tăng trưởng xuất khẩu 6 tháng", "Thứ Ba, 02/07/2024 - 09:30"),
        203: ("Hội nghị xúc tiến đầu tư", "Thứ Tư, 03/07/2024 - 10:15"),
        204: ("Giải chạy vì sức khỏe cộng đồng", "Thứ Năm, 04/07/2024 - 14:00"),
        205: ("Khánh thành cầu Đông Xuyên", "Thứ Sáu, 05/07/2024 - 16:45"),
    }
    with FixtureServer(_newspaper(tmp_path, articles)) as server:
        _sites_toml(tmp_path, server.origin)
        result = run_crawl(tmp_path, "-a", "site=baobacninh-test", "-O", "out.jsonl")
    assert result.returncode == 0, result.stderr[-3000:]
    records = {record["id"]: record for record in read_jsonl(tmp_path / "out.jsonl")}
    assert sorted(records) == [f"baobacninh-test:{article_id}" for article_id in sorted(articles)]
    for article_id, (title, date) in articles.items():
        record = records[f"baobacninh-test:{article_id}"]
        assert record["title"] == title
        day, month, year = date.split(", ")[1][:10].split("/")
        assert record["published_at"] == f"{year}-{month}-{day}T{date[-5:]}:00+07:00"
        assert record["authors"] == ["Thu Hương"]
        assert paragraphs(record["body_text"])[0].startswith("Theo Sở Công Thương")


LEGACY = {"cp1258": cp1258_bytes, "tcvn3": tcvn3_bytes, "vni": vni_bytes}
FONTS = {"cp1258": "Times New Roman", "tcvn3": ".VnTime", "vni": "VNI-Times"}


@pytest.mark.parametrize("processes", [0, 1], ids=["in-process", "extraction-process"])
@pytest.mark.parametrize("encoding", LEGACY)
def test_pages_in_legacy_encodings_come_out_as_unicode(tmp_path: Path, encoding: str, processes: int) -> None:
    """Undeclared windows-1258, TCVN3 and VNI article pages, served without a charset, read in the
    crawl process or in an extraction process (NEWSSPIDER_EXTRACTION_PROCESSES)."""
    body = [
        "Sáng 24/6, tỉnh tổ chức hội nghị tổng kết công tác xuất khẩu nông sản đầu mùa vải thiều.",
        "Đồng chí Phó Chủ tịch UBND tỉnh ghi nhận những kết quả đạt được của các sở, ngành.",
    ]

    def render(title: str, date: str) -> tuple[bytes, str]:
        html = (
            f'<html><head><style>body {{font-family: "{FONTS[encoding]}"}}</style></head><body>'
            f'<h1 class="title-detail">{title}</h1><span class="date-detail">{date}</span>'
            f'<div class="detail-main"><p>{body[0]}</p><p>{body[1]}</p></div></body></html>'
        )
        return LEGACY[encoding](html), "text/html"

    # TCVN3 has no toned capitals: titles in lower case read back exactly in every encoding
    articles = {
        301: ("xuất khẩu vải thiều đầu mùa", "24/06/2024 16:45"),
        302: ("hội nghị tổng kết", "25/06/2024 08:00"),
    }
    with FixtureServer(_newspaper(tmp_path, articles, render)) as server:
        _sites_toml(tmp_path, server.origin)
        setting = f"NEWSSPIDER_EXTRACTION_PROCESSES={processes}"
        result = run_crawl(tmp_path, "-a", "site=baobacninh-test", "-O", "out.jsonl", "-s", setting)
    assert result.returncode == 0, result.stderr[-3000:]
    records = {int(record["native_id"]): record for record in read_jsonl(tmp_path / "out.jsonl")}
    assert sorted(records) == [301, 302]
    for article_id, (title, _) in articles.items():
        record = records[article_id]
        assert record["encoding_detected"] == encoding
        assert record["title"] == title
        assert paragraphs(record["body_text"]) == body
        assert unicodedata.is_normalized("NFC", record["body_text"])
