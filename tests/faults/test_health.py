"""Crawl health: the report beside the feed, and a non-zero exit when a template change empties
fields (coverage below the thresholds) or nothing is exported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crawling import derived_site, read_jsonl, run_crawl
from gold import NUKEVIET, gold_records, manifest

from newsspider.demo.server import FixtureServer

PORTAL = NUKEVIET / "egov-short"
ARTICLES = [gold for gold in gold_records("egov-short") if gold["visible"]]


def new_template(page: bytes) -> bytes:
    """The article page after a theme update: the header row and the date markup renamed."""
    renamed = [
        (b"newsdetailmetatop", b"article-meta-v2"),
        (b'<span class="h5">', b'<span class="meta">'),
        (b'itemprop="datePublished"', b"data-published"),
    ]
    for old, new in renamed:
        assert old in page
        page = page.replace(old, new)
    return page


def changed_portal(workdir: Path, articles: list[dict[str, Any]]) -> Path:
    entries = manifest("egov-short")
    changes = {
        gold["path"]: {"body": new_template((PORTAL / entries[gold["path"]]["file"]).read_bytes())}
        for gold in articles
    }
    return derived_site(workdir, PORTAL, changes)


def crawl(workdir: Path, site: Path) -> tuple[Any, dict[str, Any]]:
    with FixtureServer(site) as server:
        result = run_crawl(workdir, "-a", f"url={server.url('/')}", "-O", "out.jsonl")
    report = json.loads((workdir / "out.health.json").read_text(encoding="utf-8"))
    return result, report


def test_a_healthy_run_writes_its_report(tmp_path: Path) -> None:
    result, report = crawl(tmp_path, PORTAL)
    assert result.returncode == 0, result.stderr[-3000:]
    site = report["sites"]["127.0.0.1"]
    assert report["verdict"] == "ok" and site["problems"] == []
    assert site["exported"] == site["records"] == site["articles_found"] == 30
    assert (
        site["coverage"]["title"] == site["coverage"]["body_text"] == site["coverage"]["published_at"] == 1.0
    )
    assert 0 < site["coverage"]["images"] < 1 and site["error_rate"] == 0.0
    assert "health check of site 127.0.0.1: ok" in result.stderr


def test_a_template_change_on_every_article_fails_the_run_naming_site_and_fields(tmp_path: Path) -> None:
    result, report = crawl(tmp_path, changed_portal(tmp_path, ARTICLES))
    assert result.returncode == 3, result.stderr[-3000:]
    site = report["sites"]["127.0.0.1"]
    assert report["verdict"] == "failed" and site["exported"] == 0 and site["rejected"] == 30
    assert site["rejects_by_field"] == {"published_at": 30}
    assert site["coverage"]["published_at"] == 0.0 and site["coverage"]["title"] == 1.0
    message = next(line for line in result.stderr.splitlines() if "health check of site 127.0.0.1: " in line)
    assert "ERROR" in message
    assert "nothing exported of 30 articles found (rejected 30)" in message
    assert "field coverage below thresholds: published_at 0% (min 90%)" in message
    assert "title" not in message.split("thresholds:")[1]
    assert len(read_jsonl(tmp_path / "out.failures.jsonl")) == 30  # each rejected article, with its reason


def test_a_template_change_on_some_articles_fails_on_coverage(tmp_path: Path) -> None:
    result, report = crawl(tmp_path, changed_portal(tmp_path, ARTICLES[:10]))
    assert result.returncode == 3, result.stderr[-3000:]
    site = report["sites"]["127.0.0.1"]
    assert site["exported"] == 20 and site["rejected"] == 10
    assert site["coverage"]["published_at"] == round(20 / 30, 4)
    assert "health check of site 127.0.0.1: field coverage below thresholds: published_at 67% (min 90%)" in (
        result.stderr
    )
    assert "articles found 30 = exported 20 + failed 10 + unchanged 0 + duplicates 0 + out_of_window 0" in (
        result.stderr
    )


def test_an_incremental_run_with_nothing_new_is_healthy(tmp_path: Path) -> None:
    with FixtureServer(PORTAL) as server:
        assert run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "a.jsonl").returncode == 0
        again = run_crawl(tmp_path, "-a", f"url={server.url('/')}", "-O", "b.jsonl")
    assert again.returncode == 0, again.stderr[-3000:]
    report = json.loads((tmp_path / "b.health.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "ok" and report["sites"]["127.0.0.1"]["exported"] == 0
