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
