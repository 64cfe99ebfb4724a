"""Validate: valid records pass, invalid ones land in the rejects file with their reasons."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

import jsonschema_rs
import pytest
from gold import RECORDED_ORIGIN, article_file, gold_records
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsspider.extraction import extract
from newsspider.items import SCHEMA_VERSION, Article
from newsspider.pipelines.validate import ValidatePipeline, validation_errors
from newsspider.schema import article_schema
from newsspider.spiders.portal import PortalSpider


def _valid_record() -> dict:
    gold = next(g for g in gold_records("egov-short") if g["id"] == 6)
    return extract(article_file("egov-short", gold).read_text(encoding="utf-8"), gold["url"], site="demo")


def _pipeline(tmp_path: Path, feed: str) -> tuple[ValidatePipeline, object]:
    crawler = get_crawler(PortalSpider, {"FEEDS": {str(tmp_path / feed): {"format": "jsonlines"}}})
    crawler.spider = PortalSpider.from_crawler(crawler, url=RECORDED_ORIGIN + "/")
    return ValidatePipeline.from_crawler(crawler), crawler


def test_schema_is_valid_and_documents_every_item_field() -> None:
    schema = article_schema()
    jsonschema_rs.meta.validate(schema)  # a valid Draft 2020-12 schema
    assert list(schema["properties"]) == [field.name for field in fields(Article)]
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_extracted_record_is_valid() -> None:
    assert validation_errors(_valid_record()) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"title": None}, 'title: null is not of type "string"'),
        ({"body_text": None}, 'body_text: null is not of type "string"'),
        ({"published_at": "24/08/2020"}, 'published_at: "24/08/2020" does not match'),
        ({"view_count": -1}, "view_count: -1 is less than the minimum of 0"),
        ({"url": "javascript:alert(1)"}, 'url: "javascript:alert(1)" does not match'),
        ({"crawled_at": "yesterday"}, 'crawled_at: "yesterday" is not a "date-time"'),
        ({"images": [{"url": "x"}]}, "images/0"),
        ({"extra": 1}, "Additional properties are not allowed ('extra' was unexpected)"),
    ],
)
def test_invalid_record_is_rejected_with_its_reason(tmp_path: Path, change: dict, reason: str) -> None:
    pipeline, crawler = _pipeline(tmp_path, "articles.jsonl")
    record = _valid_record() | change
    with pytest.raises(DropItem):
        pipeline.process_item(record)
    pipeline.close_spider()
    rejects = (tmp_path / "articles.rejects.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 1
    line = json.loads(rejects[0])
    assert any(reason in text for text in line["reasons"]), line["reasons"]
    assert line["record"]["id"] == "demo:6"  # the whole record is kept, nothing is lost
    assert "Đảng bộ" in rejects[0]  # readable UTF-8, no \\u escapes
    assert crawler.stats.get_value("newsspider/rejected") == 1


def test_valid_record_passes_and_writes_no_rejects_file(tmp_path: Path) -> None:
    pipeline, _ = _pipeline(tmp_path, "articles.jsonl")
    record = _valid_record()
    assert pipeline.process_item(record) is record
    pipeline.close_spider()
    assert not (tmp_path / "articles.rejects.jsonl").exists()


def test_item_round_trips_through_the_schema() -> None:
    assert validation_errors(asdict(Article())) != []  # an empty record is never valid
