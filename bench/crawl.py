"""Crawl throughput: a full crawl through our pipelines against the same crawl doing no extraction.

Run: ``python3 bench/crawl.py [--articles 10000] [--rounds 1] [--kinds KIND ...]``. Prints
figures; asserts nothing.

A synthetic NukeViet portal (``newsspider.demo.synthetic``, pages cut from the fixture capture) is
served by its own process on 127.0.0.1, and crawled once per kind and round, each crawl in its own
process, with the same settings (no politeness delays, 16 concurrent requests, a full run):

- ``portal``: ``scrapy crawl portal`` — discovery, then every article parsed, cleaned,
  normalized, validated, deduplicated and written to the JSON Lines feed;
- ``portal+1`` (``portal+N``): the same with ``NEWSSPIDER_EXTRACTION_PROCESSES=1`` (N): article
  pages parsed, cleaned and normalized in other processes (``newsspider.extraction_pool``), the
  rest as above;
- ``no-op``: ``bench/noop_spider.py`` (``scrapy runspider``), the portal spider with an article
  callback that does nothing: the same requests through the same downloader stack, so its
  throughput is Scrapy's own ceiling for this crawl on this machine.
- ``item path``: ``bench/item_path_spider.py``, the portal spider with extraction taken away:
  each article page yields a copy of one record (new URL, id and hash), which goes through
  validation, deduplication, the feed and the extensions. No full crawl can be faster: it is
  the no-op plus the item path, before any page is parsed.

Pages are every response Scrapy received (robots.txt, sitemaps, feeds, listings, redirects,
articles); pages/s is over Scrapy's own ``elapsed_time_seconds``. CPU is the crawl process's user
+ system time from "Spider opened" to its exit (start-up, mostly imports, is left out), its
extraction processes included. The server's CPU share is printed too: near 100 % of a core, the
server, not the crawler, would set the pace.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOOP_SPIDER = Path(__file__).resolve().parent / "noop_spider.py"
ITEM_PATH_SPIDER = Path(__file__).resolve().parent / "item_path_spider.py"
STEP_MINUTES = "40"  # the same portal as bench/incremental_runs.py: every article in the past
CRAWL_SETTINGS = [
    "NEWSSPIDER_INCREMENTAL=False", "AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16", "NEWSSPIDER_PROGRESS_INTERVAL=0", "LOG_LEVEL=INFO",
    "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES=127.0.0.1",  # the portal is served on loopback
]  # fmt: skip
KINDS = ["no-op", "item path", "portal", "portal+1"]
_STAT = re.compile(r"'([\w/.-]+)': ([\d.]+)[,}]")


@dataclass
class Crawl:
    """Figures of one crawl process."""

    pages: int
    items: int
    seconds: float  # Scrapy's elapsed_time_seconds
    cpu_seconds: float  # the crawl process from "Spider opened" to its exit, its workers included
    worker_cpu_seconds: float  # its extraction processes (start-up included)
    server_cpu_seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu_seconds * 1000 / self.pages


def serve(articles: int) -> tuple[subprocess.Popen[str], str]:
    """Start the synthetic portal in its own process; return it and its origin once it answers."""
    command = [sys.executable, "-m", "newsspider.demo.synthetic", "--articles", str(articles),
               "--port", "0", "--step-minutes", STEP_MINUTES]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def crawl(kind: str, origin: str, server_pid: int) -> Crawl:
    """Run one crawl of ``origin`` in a fresh process and directory; return its figures."""
    env = os.environ | {"SCRAPY_SETTINGS_MODULE": "newsspider.settings", "PYTHONPATH": str(REPO)}
    if kind == "no-op":
        command = [sys.executable, "-m", "scrapy", "runspider", str(NOOP_SPIDER)]
    elif kind == "item path":
        command = [sys.executable, "-m", "scrapy", "runspider", str(ITEM_PATH_SPIDER)]
    else:
        command = [sys.executable, "-m", "scrapy", "crawl", "portal"]
    # The item path's one extracted page goes to an extraction process, so that the clean and
    # normalize pipelines stand down as with portal+1 and the copies are not cleaned again.
    processes = 1 if kind == "item path" else int(kind.partition("+")[2] or 0)
    settings = [*CRAWL_SETTINGS, f"NEWSSPIDER_EXTRACTION_PROCESSES={processes}"]
    command += ["-a", f"url={origin}/"] + [arg for setting in settings for arg in ("-s", setting)]
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "crawl.log"
        server_before = _cpu_seconds(server_pid)
        with log.open("w") as stderr:
            process = subprocess.Popen(command, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            startup_cpu = _cpu_at_spider_opened(process.pid, log)
            worker_cpu = _children_cpu_at_exit(process.pid)
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        server_cpu = _cpu_seconds(server_pid) - server_before
        text = log.read_text()
    stats = {key: float(value) for key, value in _STAT.findall(_stats_dump(text))}
    if process.returncode != 0 or "downloader/response_count" not in stats:
        tail = "\n".join(text.splitlines()[-30:])
        raise SystemExit(f"{kind} crawl failed (exit {process.returncode}); its log ends:\n{tail}")
    return Crawl(
        pages=int(stats["downloader/response_count"]),
        items=int(stats.get("item_scraped_count", 0)),
        seconds=stats["elapsed_time_seconds"],
        cpu_seconds=usage.ru_utime + usage.ru_stime - startup_cpu,
        worker_cpu_seconds=worker_cpu,
        server_cpu_seconds=server_cpu,
    )


def _cpu_at_spider_opened(pid: int, log: Path) -> float:
    """Return the CPU seconds process ``pid`` spent before Scrapy logged "Spider opened"."""
    while _proc_stat(pid)[0] != "Z":  # not exited (left unreaped for os.wait4)
        if "Spider opened" in log.read_text():
            return _cpu_seconds(pid)
        time.sleep(0.02)
    return 0.0


def _children_cpu_at_exit(pid: int) -> float:
    """Wait until process ``pid`` exits; return the CPU seconds of the children it reaped (its
    extraction processes), read from /proc before the process itself is reaped."""
    while (fields := _proc_stat(pid))[0] != "Z":
        time.sleep(0.02)
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _stats_dump(log: str) -> str:
    """Return the stats dictionary Scrapy logs when the spider closes."""
    return log.rpartition("Dumping Scrapy stats:")[2].partition("}")[0] + "}"


def _proc_stat(pid: int) -> list[str]:
    """Return the fields of ``/proc/PID/stat`` after the command name: state, ppid, …"""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _cpu_seconds(pid: int) -> float:
    """Return the user + system CPU seconds of a process, as far as it has run."""
    fields = _proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy_crawls() -> int:
    """Return how many other ``scrapy crawl`` processes are running (they skew the figures)."""
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"scrapy\x00crawl" in cmdline.read_bytes():
                count += 1
        except OSError:
            pass
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1, help="crawl pairs; the best of each is shown")
    parser.add_argument("--kinds", nargs="+", default=KINDS, metavar="KIND",
                        help="crawls to run, no-op included; portal+N: N extraction processes")  # fmt: skip
    args = parser.parse_args()
    if "no-op" not in args.kinds:
        parser.error("the no-op crawl is the yardstick: keep it in --kinds")
    if busy := _busy_crawls():
        print(f"warning: {busy} other scrapy crawl process(es) running; figures will be low", file=sys.stderr)
    server, origin = serve(args.articles)
    results: dict[str, list[Crawl]] = {kind: [] for kind in args.kinds}
    try:
        for _ in range(args.rounds):
            for kind in results:
                results[kind].append(crawl(kind, origin, server.pid))
    finally:
        server.kill()
        server.wait()
    print(f"full crawl of a {args.articles:,}-article synthetic portal on 127.0.0.1, {os.cpu_count()} CPUs,"
          f" {args.rounds} round(s), best shown:")  # fmt: skip
    best = {kind: max(crawls, key=lambda c: c.pages_per_second) for kind, crawls in results.items()}
    for kind, c in best.items():
        workers = f" ({c.worker_cpu_seconds * 1000 / c.pages:.2f} in workers)" if c.worker_cpu_seconds else ""
        print(f"  {kind:9s} {c.pages:6,} pages {c.items:6,} items in {c.seconds:6.1f} s:"
              f" {c.pages_per_second:6.1f} pages/s, {c.cpu_ms_per_page:5.2f} CPU ms/page{workers};"
              f" server busy {c.server_cpu_seconds / c.seconds:4.0%} of a core")  # fmt: skip
    for kind in [kind for kind in results if kind != "no-op"]:
        ratio = best[kind].pages_per_second / best["no-op"].pages_per_second
        remark = "no extraction: the most a full crawl can reach" if kind == "item path" else "target >= 80 %"
        print(f"  {kind} crawl at {ratio:.0%} of the no-op throughput ({remark})")


if __name__ == "__main__":
    main()
