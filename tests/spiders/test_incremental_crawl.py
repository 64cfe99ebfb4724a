"""Scheduled runs against the static fixture portal: incremental, backfill windows, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawling import FAST, REPO, read_jsonl, run_crawl
from gold import NUKEVIET, gold_records

from newsspider.demo.server import FixtureServer

PORTAL = NUKEVIET / "egov-short"
CATEGORIES = [
    "thoi-su",
    "kinh-te",
    "van-hoa-xa-hoi",
    "nong-nghiep-nong-thon",
    "thong-bao",
    "chinh-tri",
    "xay-dung-dang",
]


def _window_ids(since: str, until: str) -> list[int]:
    return sorted(
        gold["id"] for gold in gold_records("egov-short")
        if gold["visible"] and since <= gold["published_at"][:10] <= until
    )  # fmt: skip


def test_second_run_with_nothing_new_reads_only_feeds_sitemaps_and_first_listing_pages(
    tmp_path: Path,
) -> None:
    with FixtureServer(PORTAL) as server:
        first = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "run1.jsonl")
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(read_jsonl(tmp_path / "run1.jsonl")) == 30
        server.requests.clear()
        second = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "run2.jsonl")
        targets = sorted(target for _, target, _ in server.requests)
    assert second.returncode == 0, second.stderr[-3000:]
    assert read_jsonl(tmp_path / "run2.jsonl") == []
    expected = ["/", "/robots.txt", "/rss/", "/sitemap-vi.news.xml", "/sitemap.xml"]
    expected += [f"/{category}/" for category in CATEGORIES] + [
        f"/rss/{category}/" for category in CATEGORIES
    ]
    assert targets == sorted(expected)
    assert "skipped_known 30" in second.stderr


def test_backfill_window_exports_exactly_the_articles_published_in_it(tmp_path: Path) -> None:
    with FixtureServer(PORTAL) as server:
        result = run_crawl(
            tmp_path,
            "-a",
            f"url={server.url('/')}",
            "-a",
            "since=2021-01-01",
            "-a",
            "until=2022-12-31",
            "-O",
            "w.jsonl",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    ids = [int(record["native_id"]) for record in read_jsonl(tmp_path / "w.jsonl")]
    assert sorted(ids) == _window_ids("2021-01-01", "2022-12-31") == list(range(10, 19))


def test_backfill_killed_midway_and_resumed_yields_the_window_once(tmp_path: Path) -> None:
    since, until = "2019-01-01", "2023-12-31"
    with FixtureServer(PORTAL) as server:
        args = ["-a", f"url={server.url('/')}", "-a", f"since={since}", "-a", f"until={until}"]
        slow = ["-s", "DOWNLOAD_DELAY=0.15", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        env = os.environ | {"SCRAPY_SETTINGS_MODULE": "newsspider.settings", "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "scrapy", "crawl", "portal", *args, *FAST, *slow]
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _exported(tmp_path) < 5:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        interrupted = _exported(tmp_path)
        assert 5 <= interrupted < len(_window_ids(since, until)), "the crawl was not killed midway"
        resumed = run_crawl(tmp_path, *args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    records = [record for feed in (tmp_path / "output").rglob("*.jsonl") for record in read_jsonl(feed)]
    ids = [int(record["native_id"]) for record in records]
    assert len(ids) == len(set(ids)), "an article was exported twice"
    assert sorted(ids) == _window_ids(since, until)


def test_refresh_all_fetches_again_but_exports_only_changed_articles(tmp_path: Path) -> None:
    with FixtureServer(PORTAL) as server:
        assert run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "a.jsonl").returncode == 0
        again = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-a", "refresh=all", "-O", "b.jsonl")
        fetched = [target for _, target, _ in server.requests if target.endswith(".html")]
    assert again.returncode == 0
    assert read_jsonl(tmp_path / "b.jsonl") == []
    assert "unchanged 30" in again.stderr
    assert len(fetched) >= 60  # every article page fetched in both runs


def test_a_run_that_fetches_nothing_exits_non_zero(tmp_path: Path) -> None:
    with FixtureServer(PORTAL) as server:
        origin = server.url("/")
    result = run_crawl(tmp_path, "-a", f"url={origin}", "-s", "RETRY_TIMES=0")  # the server is gone
    assert result.returncode == 3
    assert "FAILED: nothing was fetched" in result.stderr


def _exported(workdir: Path) -> int:
    return sum(len(feed.read_bytes().splitlines()) for feed in (workdir / "output").rglob("*.jsonl"))
