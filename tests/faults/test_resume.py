"""A scheduled (incremental) run killed with SIGKILL midway, then run again: nothing is lost,
nothing is exported twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawling import FAST, REPO, read_jsonl, run_crawl
from gold import NUKEVIET

from newsspider.demo.server import FixtureServer

PORTAL = NUKEVIET / "egov-short"


def _exported(workdir: Path) -> int:
    return sum(len(feed.read_bytes().splitlines()) for feed in (workdir / "output").rglob("*.jsonl")
               if not feed.name.endswith((".failures.jsonl", ".rejects.jsonl")))  # fmt: skip


def test_incremental_run_killed_midway_then_resumed_exports_every_article_once(tmp_path: Path) -> None:
    with FixtureServer(PORTAL) as server:
        args = ["-a", f"url={server.url('/')}"]
        slow = ["-s", "DOWNLOAD_DELAY=0.15", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        env = os.environ | {"SCRAPY_SETTINGS_MODULE": "newsspider.settings", "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "scrapy", "crawl", "portal", *FAST, *args, *slow]
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _exported(tmp_path) < 5:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        interrupted = _exported(tmp_path)
        assert 5 <= interrupted < 30, "the crawl was not killed midway"
        resumed = run_crawl(tmp_path, *args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    feeds = [feed for feed in (tmp_path / "output").rglob("*.jsonl") if feed.name.count(".") == 1]
    ids = [int(record["native_id"]) for feed in feeds for record in read_jsonl(feed)]
    assert len(ids) == len(set(ids)), "an article was exported twice"
    assert sorted(ids) == list(range(1, 31)), "an article was lost"
