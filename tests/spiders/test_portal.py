"""End-to-end crawls of both fixture portals served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from crawling import read_jsonl, run_crawl
from gold import BOILERPLATE_PHRASES, NUKEVIET, VARIANTS, actual_fields, expected_fields, gold_records

from newsspider.demo.server import FixtureServer
from newsspider.parsers.nukeviet import is_blocked_url

SITE = "127.0.0.1"  # the site name derived from -a url=http://127.0.0.1:PORT/


@pytest.fixture(scope="module", params=VARIANTS)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Crawl one variant once; tests below read its records and the server's access log."""
    variant = request.param
    workdir = tmp_path_factory.mktemp(variant)
    with FixtureServer(NUKEVIET / variant) as server:
        result = run_crawl(workdir, "-a", f"url={server.url('/')}", "-O", "articles.jsonl")
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    return variant, server.origin, workdir / "articles.jsonl", requests, result.stderr


def test_every_visible_article_exported_exactly_once(crawled) -> None:
    variant, _, feed, _, _ = crawled
    ids = [int(record["native_id"]) for record in read_jsonl(feed)]
    visible = {gold["id"] for gold in gold_records(variant) if gold["visible"]}
    assert sorted(ids) == sorted(visible)  # each once; the scheduled article (31) never


def test_every_field_equals_gold(crawled) -> None:
    variant, origin, feed, _, _ = crawled
    records = {int(record["native_id"]): record for record in read_jsonl(feed)}
    for gold in gold_records(variant):
        if gold["visible"]:
            expected = expected_fields(gold, variant, site=SITE, origin=origin)
            assert actual_fields(records[gold["id"]]) == expected, gold["id"]


def test_no_boilerplate_in_exported_text(crawled) -> None:
    for record in read_jsonl(crawled[2]):
        for field in ("title", "summary", "body_text"):
            for phrase in BOILERPLATE_PHRASES:
                assert phrase not in (record[field] or ""), (record["id"], field, phrase)


def test_redirects_followed_to_canonical_urls(crawled) -> None:
    for record in read_jsonl(crawled[2]):
        assert record["url"] == record["canonical_url"]


def test_never_requests_blocked_endpoints_or_the_scheduled_article(crawled) -> None:
    _, origin, _, requests, _ = crawled
    targets = [target for _, target, _ in requests]
    assert targets, "the server saw no request"
    assert not [target for target in targets if is_blocked_url(origin + target)]
    assert not [target for target in targets if target.endswith("-31.html")]
    assert targets.count("/robots.txt") == 1  # robots.txt is read before anything else
    assert targets[0] == "/robots.txt"


def test_output_is_readable_utf8(crawled) -> None:
    raw = crawled[2].read_bytes().decode("utf-8")
    assert "\\u" not in raw
    assert "Đại hội" in raw


def test_default_output_path_and_no_second_copy(tmp_path: Path) -> None:
    with FixtureServer(NUKEVIET / "egov-short") as server:
        result = run_crawl(tmp_path, "-a", "site=demo", "-a", f"url={server.url('/')}")
    assert result.returncode == 0, result.stderr[-3000:]
    files = list((tmp_path / "output").rglob("*"))
    assert len(files) == 2  # output/demo/ and the one feed file inside it
    (feed,) = (tmp_path / "output" / "demo").glob("*.jsonl")
    assert feed.name.endswith("Z.jsonl")
    records = read_jsonl(feed)
    assert len(records) == 30
    assert {record["id"] for record in records} == {f"demo:{n}" for n in range(1, 31)}


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    """A portal whose robots.txt disallows a category: none of its pages is fetched."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "files").symlink_to(NUKEVIET / "egov-short" / "files")
    manifest = json.loads((NUKEVIET / "egov-short/manifest.json").read_text(encoding="utf-8"))
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /kinh-te/\n", encoding="utf-8")
    manifest["/robots.txt"]["file"] = "robots.txt"
    (site / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    shutil.copy(NUKEVIET / "egov-short/variant.json", site / "variant.json")
    with FixtureServer(site) as server:
        result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "out.jsonl")
        targets = [target for _, target, _ in server.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [target for target in targets if target.startswith("/kinh-te/")]
    assert "/thoi-su/" in targets
    exported = {record["canonical_url"].split("/")[3] for record in read_jsonl(tmp_path / "out.jsonl")}
    assert "kinh-te" not in exported and "chinh-tri" in exported


def test_unknown_site_name_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl(tmp_path, "-a", "site=no-such-portal")
    assert result.returncode != 0
    assert "no site named 'no-such-portal'" in result.stderr


def test_missing_portal_argument_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl(tmp_path)
    assert result.returncode != 0
    assert "-a site=NAME or -a url=ROOT_URL" in result.stderr
