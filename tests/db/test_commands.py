"""`newsspider load` and the crawl pipeline, run as users run them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from crawling import REPO, read_jsonl, run_crawl
from gold import NUKEVIET

from newsspider.db import connect
from newsspider.demo.server import FixtureServer
from newsspider.pipelines.database import DatabasePipeline

from .helpers import write_jsonl

Records = list[dict[str, Any]]


def _newsspider(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    }
    command = [sys.executable, "-m", "newsspider.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_load_globs_into_the_default_sqlite_file(tmp_path: Path, real_records: Records) -> None:
    (tmp_path / "output" / "egov").mkdir(parents=True)
    write_jsonl(tmp_path / "output" / "egov" / "one.jsonl", real_records[:10])
    write_jsonl(tmp_path / "output" / "egov" / "two.jsonl", real_records[10:])
    result = _newsspider(tmp_path, "load", "output/**/*.jsonl")
    assert result.returncode == 0, result.stderr
    assert f"{len(real_records)} new, 0 updated" in result.stderr
    with sqlite3.connect(tmp_path / "output" / "articles.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (len(real_records),)


def test_load_reports_bad_lines_and_ends_non_zero(db_url: str, tmp_path: Path, real_records: Records) -> None:
    feed = write_jsonl(tmp_path / "feed.jsonl", real_records[:3])
    with feed.open("a", encoding="utf-8") as handle:
        handle.write("not json\n" + json.dumps(real_records[3] | {"id": "no id"}) + "\n")
    result = _newsspider(tmp_path, "load", str(feed), "--db", db_url)
    assert result.returncode == 1
    assert f"{feed}:4: not JSON" in result.stderr
    assert f"{feed}:5: id 'no id' is not <site>:<native id>" in result.stderr
    assert "3 new, 0 updated, 0 unchanged, 0 linked as republications, 2 bad lines" in result.stderr
    with connect(db_url) as db:
        assert len(db.execute("SELECT id FROM articles")) == 3


def test_load_of_a_missing_file_or_database_says_so(tmp_path: Path) -> None:
    result = _newsspider(tmp_path, "load", "nowhere/*.jsonl")
    assert result.returncode == 2 and "no file matches nowhere/*.jsonl" in result.stderr
    write_jsonl(tmp_path / "a.jsonl", [])
    result = _newsspider(tmp_path, "load", "a.jsonl", "--db", "mysql://x")
    assert result.returncode == 2 and "unsupported database URL" in result.stderr


def test_the_pipeline_is_off_without_database_url() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    with pytest.raises(NotConfigured):
        DatabasePipeline.from_crawler(get_crawler(settings_dict={"DATABASE_URL": None}))


def test_a_crawl_writes_straight_to_the_database(db_url: str, tmp_path: Path) -> None:
    with FixtureServer(NUKEVIET / "egov-short") as server:
        result = run_crawl(
            tmp_path, "-a", f"url={server.url('/')}", "-O", "a.jsonl", "-s", f"DATABASE_URL={db_url}"
        )
    assert result.returncode == 0, result.stderr[-3000:]
    exported = read_jsonl(tmp_path / "a.jsonl")
    with connect(db_url) as db:
        stored = dict(db.execute("SELECT id, content_hash FROM articles"))
        runs = db.execute("SELECT origin, status, inserted FROM load_runs")
    assert stored == {record["id"]: record["content_hash"] for record in exported}
    assert runs == [("crawl portal", "ok", len(exported))]
