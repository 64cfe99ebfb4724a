"""The seen-store of a site in Redis, shared by every worker of the fleet.

Same interface and guarantees as :class:`newsspider.state.SeenStore` (which it subclasses for
the read-back of interrupted feeds). Runs are per worker (``run_ts`` is ``<run>-<worker>``): a
worker starting on a host reads back the feed files of that host's dead workers' unfinished
runs, so a record written but not yet recorded is recorded, never exported again.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from newsspider.fleet.run import Keys
from newsspider.state import Seen, SeenStore

__all__ = ["RedisSeenStore"]

_FIELDS = ("content_hash", "published_at", "modified_at", "lastmod")


class RedisSeenStore(SeenStore):
    """Exported articles of one site, and the workers' runs that exported them, in Redis."""

    def __init__(self, server: redis.Redis, keys: Keys, worker: str, is_live: Callable[[str], bool]) -> None:
        self.server = server
        self.articles = keys.seen
        self.urls = f"{keys.seen}:urls"
        self.runs = f"{keys.seen}:runs"
        self.worker = worker
        self.host = socket.gethostname()
        self.is_live = is_live
        self.path = None  # type: ignore[assignment]  # no file

    def get(self, article_id: str) -> Seen | None:
        raw = self.server.hget(self.articles, article_id)
        if raw is None:
            return None
        row = json.loads(raw)
        return Seen(*(row.get(name) for name in _FIELDS))

    def get_by_url(self, url: str) -> Seen | None:
        article_id = self.server.hget(self.urls, url)
        return (
            self.get(article_id.decode() if isinstance(article_id, bytes) else article_id)
            if article_id
            else None
        )

    def record(self, item: Mapping[str, Any], run_ts: str, lastmod: str | None = None) -> bool:
        previous = self.server.hget(self.articles, item["id"])
        old = json.loads(previous) if previous else {}
        row = {
            "url": item.get("url"), "canonical_url": item.get("canonical_url"),
            "content_hash": item["content_hash"], "published_at": item.get("published_at"),
            "modified_at": item.get("modified_at"), "lastmod": lastmod or old.get("lastmod"),
            "exported_at": _now(), "run_ts": run_ts,
        }  # fmt: skip
        pipe = self.server.pipeline()
        pipe.hset(self.articles, item["id"], json.dumps(row, ensure_ascii=False))
        for url in {item.get("url"), item.get("canonical_url")} - {None}:
            pipe.hset(self.urls, str(url), item["id"])
        pipe.execute()
        return previous is None

    def touch(self, article_id: str) -> None:
        previous = self.server.hget(self.articles, article_id)
        if previous:
            row = json.loads(previous) | {"lastmod": _now()}
            self.server.hset(self.articles, article_id, json.dumps(row, ensure_ascii=False))

    def begin_run(self, run_ts: str, feed_paths: Iterable[str]) -> int:
        recovered = 0
        for old_run, entry in self._unfinished(run_ts).items():
            for path in entry["feed_paths"]:
                recovered += self._recover(Path(path), old_run)
            self._finish(old_run, entry, "interrupted")
        entry = {"worker": self.worker, "host": self.host, "started_at": _now(), "finished_at": None,
                 "status": None, "feed_paths": list(feed_paths)}  # fmt: skip
        self.server.hset(self.runs, run_ts, json.dumps(entry))
        return recovered

    def end_run(self, run_ts: str, status: str) -> None:
        raw = self.server.hget(self.runs, run_ts)
        if raw is not None:
            self._finish(run_ts, json.loads(raw), status)

    def unfinished_feed_paths(self, run_ts: str) -> set[str]:
        return {path for entry in self._unfinished(run_ts).values() for path in entry["feed_paths"]}

    def close(self) -> None:
        """Nothing to close: the connection is the fleet run's."""

    def _unfinished(self, run_ts: str) -> dict[str, dict[str, Any]]:
        """Return the unfinished runs this worker can read back: dead workers' on this host."""
        runs = {}
        for key, raw in self.server.hgetall(self.runs).items():
            name, entry = key.decode() if isinstance(key, bytes) else key, json.loads(raw)
            if name == run_ts or entry.get("finished_at") or entry.get("host") != self.host:
                continue
            if entry.get("worker") == self.worker or not self.is_live(entry.get("worker", "")):
                runs[name] = entry
        return runs

    def _finish(self, run_ts: str, entry: dict[str, Any], status: str) -> None:
        entry |= {"finished_at": _now(), "status": status}
        self.server.hset(self.runs, run_ts, json.dumps(entry))


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
