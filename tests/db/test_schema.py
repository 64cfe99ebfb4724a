"""The shipped DDL: documented as it is, and runnable as a script."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsspider.db.schema import ddl

DOCS = Path(__file__).resolve().parents[2] / "docs" / "database.md"


def test_the_documented_ddl_is_the_shipped_one() -> None:
    assert ddl("postgresql").strip() in DOCS.read_text(encoding="utf-8")


def test_the_sqlite_ddl_runs_twice_on_an_empty_database() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(ddl("sqlite"))
    conn.executescript(ddl("sqlite"))  # IF NOT EXISTS throughout
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"articles", "article_versions", "article_buckets", "load_runs", "load_errors"} <= tables
