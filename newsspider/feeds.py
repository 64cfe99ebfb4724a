"""Where records go: the default feed path and the rejects file beside it.

The default feed, ``output/<site>/<run timestamp>.jsonl``, is filled from the spider's ``site``
and ``run_ts`` attributes; the spider adds it only when ``FEEDS`` is empty, so ``-O file.jsonl``
replaces it as in any Scrapy project. Rejects follow whichever feed is in force.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

__all__ = ["DEFAULT_FEED_OPTIONS", "DEFAULT_FEED_URI", "rejects_path", "run_timestamp"]

DEFAULT_FEED_URI = "output/%(site)s/%(run_ts)s.jsonl"
DEFAULT_FEED_OPTIONS = {"format": "jsonlines", "encoding": "utf-8", "overwrite": False}
_REJECTS_SUFFIX = ".rejects.jsonl"


def run_timestamp(moment: datetime | None = None) -> str:
    """Return a file-name-safe UTC timestamp for one run, e.g. ``2026-11-29T23-49-28Z``."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


def rejects_path(settings: BaseSettings, spider: Any) -> str:
    """Return the rejects file of this run: beside the first local feed, else the default place."""
    params = _Params(site=spider.site, run_ts=spider.run_ts, name=spider.name, time=spider.run_ts,
                     batch_time=spider.run_ts, batch_id=1)  # fmt: skip
    for uri in settings.getdict("FEEDS"):
        parts = urlsplit(str(uri))
        if parts.scheme in ("", "file") or len(parts.scheme) == 1:  # a path, or C:\…
            path = str(uri)[len("file://") :] if parts.scheme == "file" else str(uri)
            return _beside(path % params)
    return _beside(DEFAULT_FEED_URI % params)


class _Params(dict[str, Any]):
    """URI parameters; a placeholder we cannot know (a custom spider attribute) stays empty."""

    def __missing__(self, key: str) -> str:
        return ""


def _beside(feed_path: str) -> str:
    path = Path(feed_path)
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return str(path.with_name(stem + _REJECTS_SUFFIX))
