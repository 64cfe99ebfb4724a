"""Dedupe: the same article reached under two URLs is exported once."""

from __future__ import annotations

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsspider.pipelines.dedupe import DedupePipeline


def test_second_record_with_the_same_id_is_dropped_and_counted() -> None:
    crawler = get_crawler()
    crawler.stats.open_spider()
    pipeline = DedupePipeline.from_crawler(crawler)
    first = {"id": "demo:1", "url": "http://x/van-hoa-xa-hoi/a-1.html"}
    assert pipeline.process_item(first) is first
    assert pipeline.process_item({"id": "demo:2"}) is not None
    with pytest.raises(DropItem, match="duplicate id demo:1"):
        pipeline.process_item(
            {"id": "demo:1", "url": "http://x/index.php?nv=news&op=van-hoa-xa-hoi/a-1.html"}
        )
    assert crawler.stats.get_value("newsspider/duplicates") == 1


def test_an_article_fetched_again_unchanged_is_dropped_and_not_fetched_again(tmp_path) -> None:
    from datetime import UTC, datetime

    from newsspider.incremental import RefreshPolicy
    from newsspider.state import SeenStore

    store = SeenStore.for_site(tmp_path, "demo")
    record = {
        "id": "demo:1",
        "content_hash": "sha256:" + "a" * 64,
        "published_at": "2024-01-02T08:00:00+07:00",
    }
    store.record(record, "run-1")
    crawler = get_crawler()
    crawler.stats.open_spider()
    crawler.spider = type("Spider", (), {"store": store})()
    pipeline = DedupePipeline.from_crawler(crawler)
    newer_lastmod = datetime(2024, 3, 1, tzinfo=UTC)  # the sitemap says it changed
    assert RefreshPolicy().wants(store.get("demo:1"), newer_lastmod, datetime.now(UTC))
    with pytest.raises(DropItem, match="unchanged"):
        pipeline.process_item(dict(record))
    assert crawler.stats.get_value("newsspider/unchanged") == 1
    assert not RefreshPolicy().wants(store.get("demo:1"), newer_lastmod, datetime.now(UTC))  # not again
    edited = record | {"content_hash": "sha256:" + "b" * 64}
    assert pipeline.process_item(edited) is edited  # a real edit is exported
