"""Helpers of the database tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsspider.db import Database


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the data tables (and the history view), in a stable order."""
    return {
        table: sorted(map(tuple, db.execute(f"SELECT * FROM {table}")), key=repr)
        for table in ("articles", "article_versions", "article_history", "article_buckets")
    }
