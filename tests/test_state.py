"""The seen-store: what was exported, new versus updated, and recovery after a crash."""

from __future__ import annotations

import json
from pathlib import Path

from newsspider.state import SeenStore


def _item(article_id: str, content_hash: str = "sha256:" + "a" * 64, **extra: str) -> dict:
    return {"id": article_id, "url": f"http://x/{article_id}.html", "content_hash": content_hash,
            "published_at": "2024-01-02T08:00:00+07:00", "modified_at": None} | extra  # fmt: skip


def test_record_then_get_new_then_updated(tmp_path: Path) -> None:
    store = SeenStore.for_site(tmp_path, "demo")
    assert store.get("demo:1") is None
    assert store.record(_item("demo:1"), "run-1", lastmod="2024-01-02T08:00:00+07:00") is True
    assert store.record(_item("demo:1", "sha256:" + "b" * 64), "run-2") is False
    seen = store.get("demo:1")
    assert seen is not None and seen.content_hash.endswith("b" * 64)
    assert seen.lastmod == "2024-01-02T08:00:00+07:00"  # an update without lastmod keeps the old one
    store.close()
    assert SeenStore.for_site(tmp_path, "demo").get("demo:1") is not None  # persisted


def test_unfinished_run_is_recovered_from_its_feed(tmp_path: Path) -> None:
    feed = tmp_path / "run-1.jsonl"
    store = SeenStore.for_site(tmp_path / "state", "demo")
    store.begin_run("run-1", [str(feed)])
    store.record(_item("demo:1"), "run-1")
    # killed after writing two more records (the second one half-written) but recording none
    lines = [json.dumps(_item("demo:1")), json.dumps(_item("demo:2")), json.dumps(_item("demo:3"))[:20]]
    feed.write_text("\n".join(lines), encoding="utf-8")
    store.close()

    store = SeenStore.for_site(tmp_path / "state", "demo")
    assert store.unfinished_feed_paths("run-2") == {str(feed)}
    assert store.begin_run("run-2", []) == 1  # demo:2 recovered; demo:1 was already recorded
    assert store.get("demo:2") is not None
    assert store.get("demo:3") is None  # incomplete: it will be fetched and exported again
    store.end_run("run-2", "finished")
    assert store.unfinished_feed_paths("run-3") == set()
