"""End-to-end crawls of both fixture portals served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from crawling import derived_site, read_jsonl, run_crawl
from gold import (
    BOILERPLATE_PHRASES,
    NUKEVIET,
    VARIANTS,
    actual_fields,
    expected_fields,
    gold_records,
    manifest,
)  # fmt: skip

from newsspider.demo.server import FixtureServer
from newsspider.parsers.nukeviet import is_blocked_url

SITE = "127.0.0.1"  # the site name derived from -a url=http://127.0.0.1:PORT/


@pytest.fixture(
    scope="module",
    params=[(variant, processes) for processes in (0, 1) for variant in VARIANTS],
    ids=lambda param: f"{param[0]}-{'extraction-process' if param[1] else 'in-process'}",
)
def crawled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Crawl one variant once, its article pages parsed in the crawl process or in an extraction
    process; tests below read its records and the server's access log."""
    variant, processes = request.param
    workdir = tmp_path_factory.mktemp(variant)
    with FixtureServer(NUKEVIET / variant) as server:
        setting = f"NEWSSPIDER_EXTRACTION_PROCESSES={processes}"
        result = run_crawl(workdir, "-a", f"url={server.url('/')}", "-O", "articles.jsonl", "-s", setting)
        requests = list(server.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    return variant, server.origin, workdir / "articles.jsonl", requests, result.stderr


def test_extraction_processes_stop_when_the_crawl_ends(crawled, request: pytest.FixtureRequest) -> None:
    stopped = "'newsspider/extraction_restarts': 0" in crawled[4]  # set once the workers have exited
    assert stopped == bool(request.node.callspec.params["crawled"][1])


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
    assert len(files) == 3  # output/demo/, the one feed file inside it and the run's health report
    (feed,) = (tmp_path / "output" / "demo").glob("*.jsonl")
    assert feed.with_name(feed.stem + ".health.json").is_file()
    assert feed.name.endswith("Z.jsonl")
    records = read_jsonl(feed)
    assert len(records) == 30
    assert {record["id"] for record in records} == {f"demo:{n}" for n in range(1, 31)}


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    """A portal whose robots.txt disallows a category: none of its pages is fetched."""
    robots = {"/robots.txt": {"body": b"User-agent: *\nDisallow: /kinh-te/\n"}}
    site = derived_site(tmp_path, NUKEVIET / "egov-short", robots)
    with FixtureServer(site) as server:
        result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "out.jsonl")
        targets = [target for _, target, _ in server.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    assert not [target for target in targets if target.startswith("/kinh-te/")]
    assert "/thoi-su/" in targets
    exported = {record["canonical_url"].split("/")[3] for record in read_jsonl(tmp_path / "out.jsonl")}
    assert "kinh-te" not in exported and "chinh-tri" in exported


def test_never_leaves_the_portal_host_even_through_a_redirect(tmp_path: Path) -> None:
    """An article link that 301s to another host is not followed; that host sees nothing."""
    with FixtureServer(NUKEVIET / "stock-lang") as elsewhere:
        article = "/chinh-tri/ky-hop-thu-10-hdnd-tinh-thong-qua-25-nghi-quyet-quan-trong-4.html"
        # "localhost" is another host name than the portal's 127.0.0.1, on loopback all the same
        offsite = elsewhere.origin.replace("127.0.0.1", "localhost") + "/vi/news" + article
        site = derived_site(
            tmp_path, NUKEVIET / "egov-short", {article: {"status": 301, "location": offsite}}
        )
        with FixtureServer(site) as server:
            result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "out.jsonl")
        assert result.returncode == 0, result.stderr[-3000:]
        assert elsewhere.requests == []
    assert "4" not in {record["native_id"] for record in read_jsonl(tmp_path / "out.jsonl")}


def test_invalid_record_lands_in_rejects_beside_the_feed(tmp_path: Path) -> None:
    """An article page whose template lost its headline: rejected with the reason, not lost."""
    gold = next(g for g in gold_records("egov-short") if g["id"] == 13)
    page = (NUKEVIET / "egov-short" / manifest("egov-short")[gold["path"]]["file"]).read_bytes()
    broken = page.replace(b'itemprop="headline"', b"").replace(b'<h1 class="title', b'<h2 class="x')
    broken = broken.replace(b'property="og:title"', b'property="og:x"')
    site = derived_site(tmp_path, NUKEVIET / "egov-short", {gold["path"]: {"body": broken}})
    with FixtureServer(site) as server:
        result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "out.jsonl")
    assert result.returncode == 0, result.stderr[-3000:]
    exported = {record["native_id"] for record in read_jsonl(tmp_path / "out.jsonl")}
    assert len(exported) == 29 and "13" not in exported
    (reject,) = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert reject["reasons"] == ['title: null is not of type "string"']
    assert reject["record"]["native_id"] == "13" and reject["record"]["body_text"]


def test_unknown_site_name_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl(tmp_path, "-a", "site=no-such-portal")
    assert result.returncode != 0
    assert "no site named 'no-such-portal'" in result.stderr


def test_missing_portal_argument_is_a_clear_error(tmp_path: Path) -> None:
    result = run_crawl(tmp_path)
    assert result.returncode != 0
    assert "-a site=NAME or -a url=ROOT_URL" in result.stderr


def test_argument_mistakes_are_one_line_usage_errors(tmp_path: Path) -> None:
    for args, message in [
        (["-a", "url=http://portal.example/", "-a", "sinse=2024-01-01"], "unknown argument(s) ['sinse']"),
        (["-a", "url=http://portal.example/", "-a", "since=2024-13-01"], "since='2024-13-01' is not a date"),
        (["-a", "url=http://portal.example/", "-a", "refresh=often"], "refresh='often'"),
        (
            ["-a", "url=http://portal.example/", "-s", "NEWSSPIDER_EXTRACTION_PROCESSES=two"],
            "must be a whole",
        ),
    ]:
        result = run_crawl(tmp_path, *args)
        assert result.returncode == 2, result.stderr[-2000:]
        assert message in result.stderr and "Traceback" not in result.stderr
