"""Scheduled runs: incremental, backfill windows, kill -9, and a portal that changes between runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawling import FAST, REPO, read_jsonl, run_crawl
from gold import NUKEVIET, gold_records

from newsspider.demo.server import FixtureServer
from newsspider.demo.synthetic import SyntheticPortal, SyntheticPortalServer, generate_articles

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


def test_new_and_edited_articles_of_a_changing_portal(tmp_path: Path) -> None:
    """Run 1 exports all; run 2 with nothing new exports 0 and reads only feeds, sitemaps and
    first listing pages; after 3 additions and 1 edit, run 3 exports exactly those 4."""
    articles = generate_articles(60)
    portal = SyntheticPortal(articles, per_page=5, now=lambda: datetime(2026, 11, 1, tzinfo=UTC))
    with SyntheticPortalServer(portal) as server:
        args = ["-a", f"url={server.url('/')}"]
        assert run_crawl(tmp_path, *args, "-O", "run1.jsonl").returncode == 0
        assert sorted(int(r["native_id"]) for r in read_jsonl(tmp_path / "run1.jsonl")) == list(range(1, 61))

        server.requests.clear()
        assert run_crawl(tmp_path, *args, "-O", "run2.jsonl").returncode == 0
        second = sorted(target for _, target, _ in server.requests)
        assert read_jsonl(tmp_path / "run2.jsonl") == []
        categories = sorted({article.category for article in articles})
        expected = ["/", "/robots.txt", "/rss/", "/sitemap-vi.news.xml", "/sitemap.xml"]
        expected += [f"/{category}/" for category in categories]
        expected += [f"/rss/{category}/" for category in categories]
        assert second == sorted(expected)

        newest = max(article.published for article in articles)
        for number, category in enumerate(categories[:3], start=1):
            added = replace(articles[number], id=100 + number, category=category, title=f"Tin mới {number}")
            portal.add(replace(added, published=newest + timedelta(hours=number)))
        portal.edit(7, body_html="<p>Nội dung đã được cập nhật sau khi đăng.</p>")
        server.requests.clear()
        third = run_crawl(tmp_path, *args, "-O", "run3.jsonl")
        fetched = [target for _, target, _ in server.requests if target.endswith(".html")]
    assert third.returncode == 0, third.stderr[-3000:]
    records = {int(record["native_id"]): record for record in read_jsonl(tmp_path / "run3.jsonl")}
    assert sorted(records) == [7, 101, 102, 103]
    assert records[7]["body_text"] == "Nội dung đã được cập nhật sau khi đăng."
    assert len(fetched) == len(set(fetched)) == 4  # the 4 articles, each fetched once
    assert "new 3, updated 1" in third.stderr
