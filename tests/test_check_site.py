"""newsspider check-site: per-field coverage of a short crawl, live against a local portal."""

from __future__ import annotations

from crawling import REPO
from gold import NUKEVIET

from newsspider.check_site import coverage, format_coverage
from newsspider.demo.server import FixtureServer


def test_coverage_counts_fields_and_keeps_a_sample() -> None:
    records = [{"title": "Tiêu đề", "tags": ["a"], "view_count": 0}, {"title": "Khác", "tags": []}]
    total, found = coverage(records)
    assert total == 2
    assert found["title"] == (2, "Tiêu đề")
    assert found["tags"] == (1, ["a"])
    assert found["view_count"] == (1, 0)  # zero views is a value, not a missing field
    assert found["summary"] == (0, None)
    table = format_coverage("demo", total, found, rejected=0)
    assert "title" in table and "2/2" in table and "Tiêu đề" in table


def test_check_site_reads_a_few_live_pages(tmp_path) -> None:
    import os
    import subprocess
    import sys

    with FixtureServer(NUKEVIET / "stock-lang") as server:
        result = subprocess.run(
            [sys.executable, "-m", "newsspider.cli", "check-site", server.url("/"), "--pages", "4",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
             "-s", "NEWSSPIDER_ALLOW_PRIVATE_ADDRESSES=True"],
            cwd=tmp_path, env=os.environ | {"PYTHONPATH": str(REPO)}, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    read = int(result.stdout.split(": ")[1].split()[0])
    assert read >= 4
    assert f"{read}/{read}" in lines["title"] and f"{read}/{read}" in lines["published_at"]
    assert f"0/{read}" in lines["view_count"]  # the stock theme shows no view count: visible here
