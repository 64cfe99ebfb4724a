"""Incremental and backfill figures on a synthetic NukeViet portal served by another process.

Run: ``python3 bench/incremental_runs.py [--articles 10000] [--backfill 100000]``. Prints figures;
asserts nothing.

1. Pages fetched by an incremental run that finds 10 new articles, as a share of the site's
   pages (target ≤ 2 %): a full run over the portal without its 10 newest articles, then a run
   over the whole portal, on the same origin and state directory.
2. Peak resident memory of a backfill of the whole ``--backfill``-article portal
   (target ≤ 300 MB, flat rather than growing with the archive), sampled while it runs.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STEP_MINUTES = "40"  # 100,000 articles from 2019 stay in the past
NEW_ARTICLES = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(articles: int, port: int) -> subprocess.Popen[str]:
    """Start the synthetic portal in its own process; return once it answers."""
    command = [sys.executable, "-m", "newsspider.demo.synthetic", "--articles", str(articles),
               "--port", str(port), "--step-minutes", STEP_MINUTES]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    server.stdout.readline()  # the origin: the server is listening
    return server


def crawl(workdir: Path, origin: str, *args: str) -> tuple[dict[str, int], list[tuple[float, int, int]]]:
    """Run one crawl; return its summary figures and (seconds, items, RSS kB) samples."""
    env = os.environ | {"SCRAPY_SETTINGS_MODULE": "newsspider.settings", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"url={origin}/", *args,
               "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO",
               "-s", "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES=127.0.0.1",
               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "NEWSSPIDER_PROGRESS_INTERVAL=0"]  # fmt: skip
    log = workdir / f"crawl-{time.monotonic_ns()}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        samples, start = [], time.monotonic()
        while process.poll() is None:
            samples.append((time.monotonic() - start, _items(workdir), _rss_kb(process.pid)))
            time.sleep(1)
    summary = _summary(log.read_text())
    return summary, samples


def _items(workdir: Path) -> int:
    return (
        sum(feed.stat().st_size for feed in (workdir / "output").rglob("*.jsonl"))
        if (workdir / "output").exists()
        else 0
    )


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _summary(log: str) -> dict[str, int]:
    line = next(line for line in log.splitlines() if "run summary for" in line)
    pairs = line.split(": ", 2)[-1].split(", ")
    return {key: int(value) for key, value in (pair.rsplit(" ", 1) for pair in pairs)}


def incremental(articles: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = serve(articles - NEW_ARTICLES, port)
        try:
            first, _ = crawl(workdir, f"http://127.0.0.1:{port}")
        finally:
            server.kill()
        server = serve(articles, port)
        try:
            second, _ = crawl(workdir, f"http://127.0.0.1:{port}")
        finally:
            server.kill()
    site_pages = articles + 7 * math.ceil(articles / 7 / 20) + 7 + 10  # articles, listings, feeds, sitemaps
    print(f"incremental run on a {articles:,}-article portal ({site_pages:,} pages):")
    print(f"  full first run: {first['pages']:,} pages, {first['exported']:,} exported")
    share = second["pages"] / site_pages
    print(f"  next run, {NEW_ARTICLES} new: {second['pages']} pages = {share:.2%} of the site (target 2 %)")
    print(f"  {second['exported']} exported, {second['skipped_known']:,} skipped as known")


def backfill(articles: int) -> None:
    port = free_port()
    server = serve(articles, port)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.monotonic()
            summary, samples = crawl(Path(tmp), f"http://127.0.0.1:{port}", "-a", "since=2019-01-01")
            seconds = time.monotonic() - started
    finally:
        server.kill()
    peak = max(rss for _, _, rss in samples)
    print(f"backfill of a {articles:,}-article portal: {summary['exported']:,} exported in {seconds:.0f} s "
          f"({summary['pages'] / seconds:.0f} pages/s)")  # fmt: skip
    print(f"  peak resident memory {peak / 1024:.0f} MB (target <= 300 MB); along the run:")
    for fraction in (0.1, 0.25, 0.5, 0.75, 1.0):
        at, size, rss = samples[min(int(len(samples) * fraction), len(samples) - 1)]
        print(f"    {at:6.0f} s  {size / 2**20:7.1f} MiB of records written  RSS {rss / 1024:5.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="0 skips the incremental run")
    parser.add_argument("--backfill", type=int, default=100_000, help="0 skips the backfill")
    args = parser.parse_args()
    if args.articles:
        incremental(args.articles)
    if args.backfill:
        backfill(args.backfill)


if __name__ == "__main__":
    main()
