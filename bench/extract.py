"""CPU time per article page: our parse + clean + normalize against the lxml floor and trafilatura.

Run: ``python3 bench/extract.py [--rounds N]``. Prints figures; asserts nothing. Every fixture
article page of both NukeViet variants is processed from its bytes, in one process, so the three
contenders see the same pages on the same machine in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from lxml import html as lxml_html

from newsspider.extraction import extract

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "nukeviet"


def article_pages() -> list[tuple[str, bytes]]:
    """Return (url, body) of every visible gold article page of both variants."""
    pages = []
    for variant in ("egov-short", "stock-lang"):
        manifest = json.loads((FIXTURES / variant / "manifest.json").read_text(encoding="utf-8"))
        for line in (FIXTURES / variant / "gold.jsonl").read_text(encoding="utf-8").splitlines():
            gold = json.loads(line)
            if gold["visible"]:
                pages.append(
                    (gold["url"], (FIXTURES / variant / manifest[gold["path"]]["file"]).read_bytes())
                )
    return pages


def cpu_ms_per_page(
    work: Callable[[str, bytes], object], pages: list[tuple[str, bytes]], rounds: int
) -> float:
    """Return the median over rounds of the CPU milliseconds one page takes."""
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for url, body in pages:
            work(url, body)
        samples.append((time.process_time() - start) * 1000 / len(pages))
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    pages = article_pages()
    contenders: dict[str, Callable[[str, bytes], object]] = {
        "lxml parse (floor)": lambda url, body: lxml_html.fromstring(body),
        "newsspider parse+clean+normalize": lambda url, body: extract(
            body.decode("utf-8"), url, site="bench"
        ),
    }
    if importlib.util.find_spec("trafilatura"):
        import trafilatura

        contenders["trafilatura.extract"] = lambda url, body: trafilatura.extract(body, url=url)
    for work in contenders.values():  # warm caches and lazy imports outside the measurement
        work(*pages[0])
    print(f"{len(pages)} article pages, {sum(len(b) for _, b in pages) / len(pages) / 1024:.0f} KiB average;"
          f" {args.rounds} rounds; {platform.python_implementation()} {platform.python_version()},"
          f" {platform.machine()}")  # fmt: skip
    figures = {name: cpu_ms_per_page(work, pages, args.rounds) for name, work in contenders.items()}
    floor = figures["lxml parse (floor)"]
    ours = figures["newsspider parse+clean+normalize"]
    for name, ms in figures.items():
        print(f"  {name:36s} {ms:7.2f} ms/page  ({ms / floor:4.1f}x the floor)")
    if "trafilatura.extract" in figures:
        print(f"  newsspider is {figures['trafilatura.extract'] / ours:.1f}x faster than trafilatura")
    else:
        print("  trafilatura not installed: skipped")


if __name__ == "__main__":
    main()
