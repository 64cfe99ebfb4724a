"""One crawl per fault class, against a fault-injecting server: the crawl goes on, and every
article is either exported or in the failures file with its reason (exported + failed = N)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crawling import read_jsonl, run_crawl
from gold import NUKEVIET, gold_records

from newsspider.demo.faults import FaultServer

PORTAL = NUKEVIET / "egov-short"
ARTICLES = [gold for gold in gold_records("egov-short") if gold["visible"]]
ALL_IDS = {str(gold["id"]) for gold in ARTICLES}
BROKEN = [ARTICLES[3], ARTICLES[17]]  # K = 2 of N = 30
# Short timeouts, one retry, short backoff: each crawl stays within seconds.
QUICK = ["-s", "DOWNLOAD_TIMEOUT=3", "-s", "RETRY_TIMES=1", "-s", "NEWSSPIDER_RETRY_BACKOFF=0.05"]


@dataclass
class Run:
    returncode: int
    stderr: str
    exported: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    health: dict[str, Any]
    server: FaultServer
    seconds: float


def crawl(tmp_path: Path, faults: dict[str, str], *args: str, hang: float = 10.0) -> Run:
    with FaultServer(PORTAL, faults, hang=hang) as server:
        started = time.monotonic()
        result = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "out.jsonl", *QUICK, *args)
        seconds = time.monotonic() - started
    failures_file = tmp_path / "out.failures.jsonl"
    return Run(
        result.returncode, result.stderr, read_jsonl(tmp_path / "out.jsonl"),
        read_jsonl(failures_file) if failures_file.exists() else [],
        json.loads((tmp_path / "out.health.json").read_text(encoding="utf-8")), server, seconds,
    )  # fmt: skip


def assert_accounting(run: Run, failed: dict[str, str]) -> None:
    """Every article is exported once or failed once with its reason; the summary says so."""
    assert run.returncode == 0, run.stderr[-3000:]
    exported = [record["native_id"] for record in run.exported]
    assert len(exported) == len(set(exported)), "an article was exported twice"
    reasons = {
        line["article_id"].split(":", 1)[1]: line["reason"] for line in run.failures if line["article_id"]
    }
    assert len(reasons) == len([line for line in run.failures if line["article_id"]]), (
        "a failure recorded twice"
    )
    assert reasons == failed
    assert set(exported).isdisjoint(reasons)
    assert set(exported) | set(reasons) == ALL_IDS
    line = (
        f"articles found 30 = exported {30 - len(failed)} + failed {len(failed)} + unchanged 0"
        " + duplicates 0 + out_of_window 0\n"
    )
    assert line in run.stderr
    assert f"failed_articles {len(failed)}," in run.stderr
    assert all(record["body_text"] for record in run.exported)


def broken(fault: str, articles: list[dict[str, Any]] = BROKEN) -> dict[str, str]:
    return {gold["path"]: fault for gold in articles}


def ids(reason: str, articles: list[dict[str, Any]] = BROKEN) -> dict[str, str]:
    return {str(gold["id"]): reason for gold in articles}


def attempts(run: Run) -> list[int]:
    return sorted(line["attempts"] for line in run.failures if line["article_id"])


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_retried_then_recorded(tmp_path: Path, status: int) -> None:
    run = crawl(tmp_path, broken(f"http_{status}"))
    assert_accounting(run, ids(f"http_{status}"))
    assert attempts(run) == [2, 2]
    assert {line["status"] for line in run.failures} == {status}


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_is_honoured_before_giving_up(tmp_path: Path, status: int) -> None:
    run = crawl(tmp_path, broken(f"http_{status}"))
    assert_accounting(run, ids(f"http_{status}"))
    assert attempts(run) == [2, 2]
    for gold in BROKEN:
        first, second = run.server.hits(gold["path"])
        assert second - first >= 0.9, "the retry did not wait for Retry-After: 1"


def test_retry_after_longer_than_the_limit_is_not_waited_for(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("http_503"), "-s", "NEWSSPIDER_RETRY_MAX_DELAY=0.5")
    assert_accounting(run, ids("http_503"))
    assert attempts(run) == [1, 1]


def test_a_server_that_never_answers_times_out(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("timeout"), hang=5)
    assert_accounting(run, ids("timeout"))
    assert attempts(run) == [2, 2]
    assert run.seconds < 30


def test_a_slow_drip_times_out(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("drip"))
    assert_accounting(run, ids("timeout"))
    assert run.seconds < 30


def test_connection_reset(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("reset"))
    assert_accounting(run, ids("connection_error"))
    assert attempts(run) == [2, 2]


def test_truncated_body(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("truncated"))
    assert_accounting(run, ids("truncated"))


def test_empty_200_is_no_article(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("empty"))
    assert_accounting(run, ids("not_article"))


def test_wrong_content_type_is_read_by_its_content(tmp_path: Path) -> None:
    # HTML declared image/jpeg: Scrapy sniffs the body; the article is read and exported
    run = crawl(tmp_path, broken("wrong_type"))
    assert_accounting(run, {})


def test_a_50_mb_page_is_cut_at_the_size_cap(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("huge"))
    assert_accounting(run, ids("too_large"))
    assert attempts(run) == [1, 1]  # a size cap is not retried


def test_gzip_bomb_is_stopped_at_the_size_cap(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("gzip_bomb"))
    assert_accounting(run, ids("too_large"))
    assert all("during decompression" in line["exception"] for line in run.failures)


def test_redirect_loop(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("redirect_loop"))
    assert_accounting(run, ids("redirect_loop"))


def test_redirect_off_the_portal_is_not_followed(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("redirect_offsite"))
    assert_accounting(run, ids("offsite"))
    assert {line["final_url"].split("/")[2] for line in run.failures} == {"news.example.com"}


def test_redirects_to_private_addresses_are_refused_before_connecting(tmp_path: Path) -> None:
    # only the test server's own address is allowed; 10.0.0.1 and 169.254.169.254 are not
    faults = {BROKEN[0]["path"]: "redirect_private", BROKEN[1]["path"]: "redirect_metadata"}
    run = crawl(tmp_path, faults, "-s", "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES=127.0.0.1")
    assert_accounting(run, ids("private_address"))
    assert {line["final_url"].split("/")[2] for line in run.failures} == {"10.0.0.1", "169.254.169.254"}
    assert "'newsspider/refused/private_address': 2" in run.stderr
    # refused when scheduled: never handed to the downloader, so never connected to
    assert not re.search(r"Crawled \(\d+\) <GET http://(10\.0\.0\.1|169\.254)", run.stderr)
    assert "downloader/exception_type_count" not in run.stderr


@pytest.mark.parametrize("fault", ["login_wall", "error_page"])
def test_a_200_page_that_is_no_article_is_never_exported(tmp_path: Path, fault: str) -> None:
    run = crawl(tmp_path, broken(fault))
    assert_accounting(run, ids("not_article"))
    titles = {record["title"] for record in run.exported}
    assert not titles & {"Đăng nhập", "Lỗi"}


def test_malformed_html_is_read_as_far_as_it_goes(tmp_path: Path) -> None:
    run = crawl(tmp_path, broken("malformed_html"))
    assert_accounting(run, {})  # cut at two thirds: the body is there, the rest is recovered
    records = {record["native_id"]: record for record in run.exported}
    for gold in BROKEN:
        assert "\x00" not in records[str(gold["id"])]["body_text"]


def test_the_crawl_never_fetches_itself_out_of_the_portal_when_retried(tmp_path: Path) -> None:
    # a retried request skips Scrapy's offsite filter (dont_filter); the guard still refuses
    faults = broken("redirect_offsite", BROKEN[:1]) | broken("http_503", BROKEN[1:])
    run = crawl(tmp_path, faults)
    assert_accounting(run, {str(BROKEN[0]["id"]): "offsite", str(BROKEN[1]["id"]): "http_503"})


# -- sitemaps and feeds: the listings still lead to every article ---------------------------

XML_TARGETS = ["/sitemap-vi.news.xml", "/rss/", *(f"/rss/{c}/" for c in ("thoi-su", "kinh-te", "thong-bao"))]


@pytest.mark.parametrize("fault", ["xml_bomb", "malformed_xml"])
def test_hostile_sitemaps_and_feeds_are_survived(tmp_path: Path, fault: str) -> None:
    started = time.monotonic()
    run = crawl(tmp_path, dict.fromkeys(XML_TARGETS, fault))
    assert_accounting(run, {})
    assert time.monotonic() - started < 60
    assert not [line for line in run.failures if not line["article_id"]]  # parsed (to nothing), not failed


def test_xxe_in_sitemaps_and_feeds_is_never_expanded(tmp_path: Path) -> None:
    run = crawl(tmp_path, dict.fromkeys(XML_TARGETS, "xxe"))
    assert_accounting(run, {})
    assert not run.server.xxe_probed, "an external entity was fetched"
    assert not any(target.startswith(("/root:", "/xxe")) for _, target, _, _ in run.server.requests)
    assert "root:x:0:0" not in (tmp_path / "out.jsonl").read_text(encoding="utf-8")


def test_a_huge_sitemap_is_cut_at_the_size_cap(tmp_path: Path) -> None:
    run = crawl(tmp_path, {"/sitemap-vi.news.xml": "huge_xml"})
    assert_accounting(run, {})
    (line,) = [line for line in run.failures if not line["article_id"]]
    assert line["url"].endswith("/sitemap-vi.news.xml") and line["reason"] == "too_large"
    assert run.health["sites"]["127.0.0.1"]["failures_by_reason"] == {"too_large": 1}


def test_many_faults_at_once_still_add_up(tmp_path: Path) -> None:
    faults = [
        "http_500",
        "timeout",
        "reset",
        "empty",
        "login_wall",
        "gzip_bomb",
        "redirect_loop",
        "truncated",
    ]
    chosen = ARTICLES[:: len(ARTICLES) // len(faults)][: len(faults)]
    run = crawl(tmp_path, {gold["path"]: fault for gold, fault in zip(chosen, faults, strict=True)},
                hang=8)  # fmt: skip
    reasons = ["http_500", "timeout", "connection_error", "not_article", "not_article", "too_large",
               "redirect_loop", "truncated"]  # fmt: skip
    assert_accounting(run, {str(gold["id"]): reason for gold, reason in zip(chosen, reasons, strict=True)})
    report = run.health["sites"]["127.0.0.1"]
    assert report["exported"] == 30 - len(faults) and report["failed_articles"] == len(faults)
    assert run.health["verdict"] == "ok"
