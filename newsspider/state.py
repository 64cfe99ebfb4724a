"""The seen-store: what earlier runs of a site exported, so the next run fetches only what is new.

One SQLite file per site in the state directory. An article is recorded only *after* its record
is in the feed file (the incremental extension listens to ``item_scraped`` after the feed
exporter, and feeds are written unbuffered), so a crash never loses one. The gap the other way,
a record written but not yet recorded, is closed when the next run starts: the feed files of a
run that never finished are read back and their records recorded, so nothing is exported twice.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsspider.dates import parse_iso

__all__ = ["Seen", "SeenStore"]

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id            TEXT PRIMARY KEY,   -- <site>:<native id>
    url           TEXT,
    canonical_url TEXT,
    content_hash  TEXT NOT NULL,
    published_at  TEXT,               -- ISO 8601, +07:00
    modified_at   TEXT,
    lastmod       TEXT,               -- newest sitemap lastmod seen, or when a refetch found it unchanged
    exported_at   TEXT NOT NULL,
    run_ts        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_url ON articles (url);
CREATE INDEX IF NOT EXISTS articles_canonical_url ON articles (canonical_url);
CREATE TABLE IF NOT EXISTS runs (
    run_ts      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT,
    feed_paths  TEXT NOT NULL         -- JSON list of local feed files of the run
);
"""


@dataclass(frozen=True)
class Seen:
    """What the store knows of an exported article."""

    content_hash: str
    published_at: str | None
    modified_at: str | None
    lastmod: str | None

    def latest_change(self) -> datetime | None:
        """Return the newest moment the article is known to have changed."""
        moments = [parse_iso(value) for value in (self.published_at, self.modified_at, self.lastmod)]
        known = [moment for moment in moments if moment is not None]
        return max(known) if known else None


class SeenStore:
    """Exported articles of one site, and the runs that exported them."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit: one write, one commit
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @classmethod
    def for_site(cls, state_dir: str | Path, site: str) -> SeenStore:
        return cls(Path(state_dir) / f"{site}.sqlite3")

    def get(self, article_id: str) -> Seen | None:
        """Return what was exported for ``article_id``, or None for an article never exported."""
        row = self._db.execute(
            "SELECT content_hash, published_at, modified_at, lastmod FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return Seen(*row) if row else None

    def get_by_url(self, url: str) -> Seen | None:
        """Return what was exported from ``url``: for sites whose URLs carry no article id."""
        row = self._db.execute(
            "SELECT content_hash, published_at, modified_at, lastmod FROM articles"
            " WHERE url = ? OR canonical_url = ? LIMIT 1",
            (url, url),
        ).fetchone()
        return Seen(*row) if row else None

    def record(self, item: Mapping[str, Any], run_ts: str, lastmod: str | None = None) -> bool:
        """Record an exported article; return True when it was new, False when an update."""
        known = self.get(item["id"]) is not None
        self._db.execute(
            "INSERT INTO articles (id, url, canonical_url, content_hash, published_at, modified_at,"
            " lastmod, exported_at, run_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET url = excluded.url, canonical_url = excluded.canonical_url,"
            " content_hash = excluded.content_hash, published_at = excluded.published_at,"
            " modified_at = excluded.modified_at, lastmod = coalesce(excluded.lastmod, lastmod),"
            " exported_at = excluded.exported_at, run_ts = excluded.run_ts",
            (item["id"], item.get("url"), item.get("canonical_url"), item["content_hash"],
             item.get("published_at"), item.get("modified_at"), lastmod, _now(), run_ts),
        )  # fmt: skip
        return not known

    def touch(self, article_id: str) -> None:
        """Note that the article was fetched again and found unchanged, as of now.

        Without it, a sitemap ``lastmod`` newer than the export would bring the unchanged article
        back in every run.
        """
        self._db.execute("UPDATE articles SET lastmod = ? WHERE id = ?", (_now(), article_id))

    def begin_run(self, run_ts: str, feed_paths: Iterable[str]) -> int:
        """Start a run; first recover what unfinished runs wrote. Return the records recovered."""
        recovered = 0
        unfinished = self._db.execute(
            "SELECT run_ts, feed_paths FROM runs WHERE finished_at IS NULL AND run_ts != ?", (run_ts,)
        ).fetchall()
        for old_run, paths in unfinished:
            for path in json.loads(paths):
                recovered += self._recover(Path(path), old_run)
            self._db.execute(
                "UPDATE runs SET finished_at = ?, status = 'interrupted' WHERE run_ts = ?", (_now(), old_run)
            )
        self._db.execute(
            "INSERT OR REPLACE INTO runs (run_ts, started_at, feed_paths) VALUES (?, ?, ?)",
            (run_ts, _now(), json.dumps(list(feed_paths))),
        )
        return recovered

    def end_run(self, run_ts: str, status: str) -> None:
        self._db.execute(
            "UPDATE runs SET finished_at = ?, status = ? WHERE run_ts = ?", (_now(), status, run_ts)
        )

    def unfinished_feed_paths(self, run_ts: str) -> set[str]:
        """Return the feed files of runs that never finished (other than ``run_ts``)."""
        rows = self._db.execute(
            "SELECT feed_paths FROM runs WHERE finished_at IS NULL AND run_ts != ?", (run_ts,)
        ).fetchall()
        return {path for (paths,) in rows for path in json.loads(paths)}

    def close(self) -> None:
        self._db.close()

    def _recover(self, path: Path, run_ts: str) -> int:
        """Record every complete record of an interrupted run's feed file that is not recorded."""
        if not path.is_file():
            return 0
        recovered = 0
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    item = json.loads(line)
                    article_id, content_hash = item["id"], item["content_hash"]
                except (ValueError, KeyError, TypeError):
                    logger.warning("%s:%d: incomplete record of an interrupted run, skipped", path, number)
                    continue
                seen = self.get(article_id)
                if seen is None or seen.content_hash != content_hash:
                    self.record(item, run_ts)
                    recovered += 1
        if recovered:
            logger.info("recovered %d records written by interrupted run %s (%s)", recovered, run_ts, path)
        return recovered


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
