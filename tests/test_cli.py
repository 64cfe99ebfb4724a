"""The console script: the offline demo and single-page extraction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from crawling import REPO, read_jsonl
from gold import RECORDED_ORIGIN, actual_fields, article_file, expected_fields, gold_records


def _newsspider(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    }
    command = [sys.executable, "-m", "newsspider.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_demo_crawls_the_bundled_portal_into_output_every_time(tmp_path: Path) -> None:
    for run in (1, 2):  # a second demo shows the whole crawl again: no incremental state
        result = _newsspider(tmp_path, "demo")
        assert result.returncode == 0, result.stderr[-3000:]
        feed = max((tmp_path / "output" / "demo").glob("*[0-9]Z.jsonl"))
        records = read_jsonl(feed)
        assert sorted(int(record["native_id"]) for record in records) == list(range(1, 31)), run
        assert f"30 articles written to output/demo/{feed.name}" in result.stderr
        time.sleep(1.1)  # the next run's timestamp, to the second, names a new file


def test_extract_prints_the_record_of_a_saved_page(tmp_path: Path) -> None:
    gold = next(g for g in gold_records("stock-lang") if g["id"] == 22)
    result = _newsspider(tmp_path, "extract", str(article_file("stock-lang", gold)), "--site", "demo")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert actual_fields(record) == expected_fields(gold, "stock-lang", site="demo", origin=RECORDED_ORIGIN)


def test_extract_of_a_non_article_page_says_so(tmp_path: Path) -> None:
    listing = article_file("egov-short", gold_records("egov-short")[0]).parents[1] / "kinh-te/index.html"
    result = _newsspider(tmp_path, "extract", str(listing), "--url", "http://x/kinh-te/")
    assert result.returncode == 2
    assert "is not a nukeviet article page" in result.stderr


def test_extract_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = _newsspider(tmp_path, "extract", str(tmp_path / "nope.html"))
    assert result.returncode == 2 and "No such file" in result.stderr
