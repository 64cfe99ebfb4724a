"""Benchmark `newsspider load`: records per second into SQLite and PostgreSQL, linking cost.

    python3 bench/load.py [--records 100000] [--db sqlite|postgresql|both] [--workers N]

Records are made from the real records of the egov-short fixture (tests/fixtures/nukeviet):
each synthetic article joins three fixture bodies, swaps a third of the syllables for others
of the same corpus and gets its own id and a SHA-256 content hash, so texts differ as real
articles do; one in ten is a republication of an earlier one (lead prefix, other tone style,
source line) that the loader must link. PostgreSQL runs in a throwaway cluster
(newsspider.db.pgcluster). Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from gold import article_file, gold_records  # noqa: E402

from newsspider.db import connect, linking, load_files  # noqa: E402
from newsspider.db.files import _record  # noqa: E402
from newsspider.db.loader import Loader  # noqa: E402
from newsspider.extraction import NotAnArticle, extract  # noqa: E402


def base_records() -> list[dict[str, Any]]:
    records = []
    for gold in gold_records("egov-short"):
        html = article_file("egov-short", gold).read_text(encoding="utf-8")
        try:
            records.append(extract(html, gold["url"], site="egov", family="nukeviet"))
        except NotAnArticle:
            continue
    return records


def synthetic(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Return ``count`` records: varied articles, and every tenth a copy of an earlier one."""
    rng = random.Random(seed)
    bases = base_records()
    vocabulary = sorted({w for r in bases for w in r["body_text"].split() if w.isalpha()})
    out: list[dict[str, Any]] = []
    for n in range(count):
        if n % 10 == 9:
            original = out[rng.randrange(len(out))]
            copy = original | {
                "id": f"copy:{n}", "native_id": str(n), "site": "copy",
                "summary": "(BGĐT) - " + (original["summary"] or "").replace("hóa", "hoá"),
                "body_text": original["body_text"].replace("hòa", "hoà") + "\n\nNguồn tin: baobacgiang.vn",
                "published_at": "2030-01-01T08:00:00+07:00", "content_hash": _content_hash(n),
            }  # fmt: skip
            out.append(copy)
            continue
        parts = rng.sample(bases, 3)
        paragraphs = [p for b in parts for p in b["body_text"].split("\n\n")]
        varied = []
        for paragraph in paragraphs:
            words = paragraph.split()
            for i in rng.sample(range(len(words)), len(words) // 3):
                words[i] = rng.choice(vocabulary)
            varied.append(" ".join(words))
        body = "\n\n".join(varied)
        out.append(parts[0] | {
            "id": f"bench{n % 50}:{n}", "native_id": str(n), "site": f"bench{n % 50}",
            "title": f"{parts[0]['title']} ({n})",
            "body_text": body, "body_html": "".join(f"<p>{p}</p>\n" for p in varied),
            "published_at": f"20{10 + n % 15}-0{1 + n % 9}-1{n % 10}T08:00:00+07:00",
            "content_hash": _content_hash(n),
        })  # fmt: skip
    return out


def _content_hash(n: int) -> str:
    """Return a content hash as the crawler makes them: hex digits of a SHA-256, no long zero runs."""
    return "sha256:" + hashlib.sha256(str(n).encode()).hexdigest()


def parse_cost(feed: Path, sample: int = 2000) -> float:
    """Return the seconds per record of reading a line into a checked record, as the loader does."""
    with feed.open("rb") as handle:
        lines = [line for line, _ in zip(handle, range(sample), strict=False)]
    start = time.process_time()
    for line in lines:
        _record(line)
    return (time.process_time() - start) / len(lines)


def features_cost(feed: Path, sample: int = 2000) -> float:
    """Return the seconds per record of match key + shingles + MinHash (in whichever process)."""
    texts = []
    with feed.open(encoding="utf-8") as handle:
        for line, _ in zip(handle, range(sample), strict=False):
            record = json.loads(line)
            texts.append((record["title"], record["summary"], record["body_text"]))
    start = time.process_time()
    linking.features_of_texts(texts)
    return (time.process_time() - start) / len(texts)


def _own_cpu() -> tuple[float, float]:
    """Return the CPU seconds of this process (all its threads) and of its ended children."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime, children.ru_utime + children.ru_stime


def _server_cpu(pid: int | None) -> float:
    """Return the CPU seconds of the PostgreSQL backend ``pid`` (Linux /proc; 0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(url: str, feed: Path, count: int, workers: int | None) -> None:
    spent = {"link": 0.0}
    real_link = Loader._link

    def timed_link(self: Loader, *args: Any) -> Any:
        start = time.thread_time()  # CPU of the thread that links, not the time it waits for the GIL
        try:
            return real_link(self, *args)
        finally:  # candidates, their exact shingles when close, the links
            spent["link"] += time.thread_time() - start

    Loader._link = timed_link  # type: ignore[method-assign,assignment]
    try:
        with connect(url) as db:
            server = db.execute("SELECT pg_backend_pid()")[0][0] if db.dialect == "postgresql" else None
            before = (*_own_cpu(), _server_cpu(server))
            start = time.perf_counter()
            stats = load_files(db, [str(feed)], workers=workers)
            first = time.perf_counter() - start
            cpu = [after - was for after, was in zip((*_own_cpu(), _server_cpu(server)), before, strict=True)]
            start = time.perf_counter()
            again = load_files(db, [str(feed)], workers=workers)
            second = time.perf_counter() - start
            (links,) = db.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL")[0]
    finally:
        Loader._link = real_link  # type: ignore[method-assign]
    name = url.split(":", 1)[0]
    per = 1e6 / count
    print(f"{name}: {count} records loaded in {first:.1f} s = {count / first:,.0f} records/s "
          f"({stats.inserted} new, {links} linked as copies, {stats.bad} bad)")  # fmt: skip
    backend = f", server backend {cpu[2] * per:.0f} us" if name.startswith("postgres") else ""
    print(f"{name}: CPU per record: loader process {cpu[0] * per:.0f} us, worker processes "
          f"{cpu[1] * per:.0f} us{backend}; all {sum(cpu) * per:.0f} us")  # fmt: skip
    keys = features_cost(feed) * count
    print(f"{name}: linking {(keys + spent['link']) * per:.0f} us/record (match key + MinHash "
          f"{keys * per:.0f} us of CPU, in the worker processes when there are any; candidates + "
          f"checks {spent['link'] * per:.0f} us in the loader)")  # fmt: skip
    # What no loader can do without: read each record and compute its features; PostgreSQL's
    # backend, storing the row, is counted as measured. Even spread perfectly over every core,
    # that CPU alone caps the rate.
    parse = parse_cost(feed) * count
    server = cpu[2] if name.startswith("postgres") else 0.0
    floor, cores = parse + keys + server, os.cpu_count() or 1
    print(f"{name}: floor: parse {parse * per:.0f} us + match key and MinHash {keys * per:.0f} us"
          + (f" + server {server * per:.0f} us" if server else "")
          + f" = {floor * per:.0f} us of CPU a record: at most {count * cores / floor:,.0f} records/s"
          f" on {cores} cores, with nothing else done")  # fmt: skip
    print(f"{name}: loading the same file again: {second:.1f} s = {count / second:,.0f} records/s "
          f"({again.unchanged} unchanged)")  # fmt: skip
    # The figures are wall-clock times: other work on the machine's cores lowers them.
    print(f"{name}: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=None, help="feature processes (default: other cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsspider-bench-") as tmp:
        feed = Path(tmp) / "records.jsonl"
        records = synthetic(args.records)
        with feed.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        size = feed.stat().st_size
        body = sum(len(r["body_text"]) for r in records) / len(records)
        print(f"{args.records} records, {size / 1e6:.0f} MB, mean body_text {body:,.0f} characters")
        del records
        if args.db in ("sqlite", "both"):
            run(f"sqlite:///{tmp}/bench.db", feed, args.records, args.workers)
        if args.db in ("postgresql", "both"):
            from newsspider.db.pgcluster import PostgresCluster

            with PostgresCluster() as cluster:
                run(cluster.url, feed, args.records, args.workers)


if __name__ == "__main__":
    main()
