"""A fleet of real workers on real Redis crawls the fixture portal: once, politely, kill -9 safe."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis
from crawling import read_jsonl
from gold import NUKEVIET, gold_records

from newsspider.demo.server import FixtureServer, FixtureSite
from newsspider.demo.synthetic import SyntheticPortal, SyntheticPortalServer, generate_articles

from .conftest import enqueue, start_worker, wait_all

PORTAL = NUKEVIET / "egov-short"
VISIBLE = sorted(gold["id"] for gold in gold_records("egov-short") if gold["visible"])


class SlowCountingSite:
    """A fixture site answering after ``delay`` seconds, counting requests served at once."""

    def __init__(self, site: FixtureSite, delay: float, fail: set[str] | None = None) -> None:
        self.site, self.delay, self.fail = site, delay, fail or set()
        self.active = self.max_active = 0
        self._lock = threading.Lock()

    def respond(self, target: str) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.delay)
            if target in self.fail:
                return 500, [("Content-Type", "text/plain"), ("Content-Length", "5")], b"oops\n"
            return self.site.respond(target)
        finally:
            with self._lock:
                self.active -= 1


def _serve(delay: float, fail: set[str] | None = None) -> tuple[FixtureServer, SlowCountingSite]:
    server = FixtureServer(PORTAL)
    counting = SlowCountingSite(server.site, delay, fail)
    server.site = counting  # type: ignore[assignment]
    return server, counting


def _records(workdir: Path, pattern: str = "*.jsonl") -> list[dict[str, Any]]:
    # the feeds only: not <feed>.rejects.jsonl, <feed>.failures.jsonl …
    feeds = [feed for feed in (workdir / "output").rglob(pattern) if len(feed.suffixes) == 1]
    return [record for feed in feeds for record in read_jsonl(feed)]


def _ids(records: list[dict[str, Any]]) -> list[int]:
    return sorted(int(record["native_id"]) for record in records)


def _logs(workdir: Path, names: list[str]) -> str:
    logs = [(workdir / f"{name}.log").read_text(encoding="utf-8", errors="replace") for name in names]
    return "\n".join(logs)


def _fleet(workdir: Path, redis_url: str, names: list[str], *settings: str) -> list[int]:
    return wait_all([start_worker(workdir, redis_url, name, *settings) for name in names])


def test_three_workers_export_every_article_exactly_once(tmp_path: Path, redis_url: str) -> None:
    server, _ = _serve(delay=0.01)
    with server:
        queued = enqueue(tmp_path, redis_url, server.url("/"))
        assert queued.returncode == 0, queued.stderr
        assert "started" in queued.stderr
        names = ["w1", "w2", "w3"]
        codes = _fleet(tmp_path, redis_url, names)
        fetched = Counter(target for _, target, _ in server.requests if target != "/robots.txt")
    logs = _logs(tmp_path, names)
    assert codes == [0, 0, 0], logs[-5000:]
    records = _records(tmp_path)
    assert _ids(records) == VISIBLE  # the union: every visible article, each exactly once
    assert len({path.name for path in (tmp_path / "output").rglob("*-w?.jsonl")}) >= 2  # shared work
    assert [target for target, count in fetched.items() if count > 1] == []  # no page fetched twice
    assert "ScrapyDeprecationWarning" not in logs
    assert "fleet run finished" in logs
    assert redis.Redis.from_url(redis_url).smembers("newsspider:sites") == set()


def test_a_worker_with_no_site_to_crawl_says_so_in_one_line(tmp_path: Path, redis_url: str) -> None:
    (code,) = wait_all([start_worker(tmp_path, redis_url, "idle")])
    log = _logs(tmp_path, ["idle"])
    assert code == 1
    assert "ERROR: no site to crawl in the fleet within 1 s (newsspider enqueue SITE)" in log
    assert "Traceback" not in log


def test_the_fleet_never_exceeds_the_per_domain_concurrency(tmp_path: Path, redis_url: str) -> None:
    server, counting = _serve(delay=0.05)
    with server:
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        names = ["w1", "w2", "w3"]
        codes = _fleet(tmp_path, redis_url, names, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
    assert codes == [0, 0, 0], _logs(tmp_path, names)[-5000:]
    assert _ids(_records(tmp_path)) == VISIBLE
    # 3 workers x 2 per process would be 6; the fleet holds 2 (and does use both)
    assert counting.max_active == 2


def test_a_worker_killed_midway_loses_nothing(tmp_path: Path, redis_url: str) -> None:
    server, _ = _serve(delay=0.05)
    with server:
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        victim = start_worker(tmp_path, redis_url, "w1", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")
        others = [start_worker(tmp_path, redis_url, name) for name in ("w2", "w3")]
        inflight = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (len(_records(tmp_path)) >= 3 and _holds(inflight, "w1")):
            time.sleep(0.01)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        killed_with = len(_records(tmp_path))
        codes = wait_all(others)
    logs = _logs(tmp_path, ["w2", "w3"])
    assert codes == [0, 0], logs[-5000:]
    assert 3 <= killed_with < len(VISIBLE), "the worker was not killed midway"
    assert "in-flight requests of dead worker w1 re-queued" in logs
    assert _ids(_records(tmp_path)) == VISIBLE  # nothing lost, nothing twice


def _holds(server: redis.Redis, worker: str) -> int:
    """Return how many requests ``worker`` has in flight."""
    keys = server.keys("newsspider:site:*:inflight")
    return sum(1 for key in keys for token in server.hkeys(key) if token.startswith(f"{worker}|".encode()))


def test_a_failed_article_is_fetched_again_by_the_next_fleet_run(tmp_path: Path, redis_url: str) -> None:
    failing = next(gold["path"] for gold in gold_records("egov-short") if gold["visible"])
    server, counting = _serve(delay=0, fail={failing})
    with server:
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        assert _fleet(tmp_path, redis_url, ["a1", "a2"], "-s", "RETRY_TIMES=0") == [0, 0]
        first = _ids(_records(tmp_path))
        counting.fail.clear()
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        assert _fleet(tmp_path, redis_url, ["b1", "b2"]) == [0, 0]
        second = sorted(set(_ids(_records(tmp_path, "*-b?.jsonl"))))
    assert len(first) == len(VISIBLE) - 1
    assert second == sorted(set(VISIBLE) - set(first))


def test_a_second_fleet_run_fetches_only_what_is_new(tmp_path: Path, redis_url: str) -> None:
    articles = generate_articles(40)
    portal = SyntheticPortal(articles, per_page=5, now=lambda: datetime(2026, 11, 1, tzinfo=UTC))
    with SyntheticPortalServer(portal) as server:
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        assert _fleet(tmp_path, redis_url, ["a1", "a2"]) == [0, 0]
        assert _ids(_records(tmp_path)) == list(range(1, 41))

        newest = max(article.published for article in articles)
        categories = sorted({article.category for article in articles})
        for number, category in enumerate(categories[:2], start=1):
            added = replace(articles[number], id=100 + number, category=category, title=f"Tin mới {number}")
            portal.add(replace(added, published=newest + timedelta(hours=number)))
        portal.edit(7, body_html="<p>Nội dung đã được cập nhật sau khi đăng.</p>")
        server.requests.clear()
        assert enqueue(tmp_path, redis_url, server.url("/")).returncode == 0
        names = ["b1", "b2"]
        codes = _fleet(tmp_path, redis_url, names)
        fetched = [target for _, target, _ in server.requests if target.endswith(".html")]
    assert codes == [0, 0], _logs(tmp_path, names)[-5000:]
    second = {int(record["native_id"]): record for record in _records(tmp_path, "*-b?.jsonl")}
    assert sorted(second) == [7, 101, 102]
    assert second[7]["body_text"] == "Nội dung đã được cập nhật sau khi đăng."
    assert len(fetched) == len(set(fetched)) == 3  # the 3 articles, each fetched once by the fleet
