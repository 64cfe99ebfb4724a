"""Extraction processes: the records the crawl process makes, and a pool that outlives a killed worker."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Iterator
from dataclasses import asdict

import pytest
from gold import VARIANTS, article_file, gold_records
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from test_encoding import cp1258_bytes

from newsspider.extraction import NotAnArticle, PageContext, extract
from newsspider.extraction_pool import ExtractionPool, extraction_processes
from newsspider.items import Article
from newsspider.pipelines.clean import CleanPipeline
from newsspider.pipelines.normalize import NormalizePipeline
from newsspider.pipelines.validate import validation_errors
from newsspider.spiders.portal import PortalSpider

CONTEXT = PageContext(site="demo", family="nukeviet")


@pytest.fixture(scope="module")
def pool() -> Iterator[ExtractionPool]:
    extraction = ExtractionPool(2)
    yield extraction
    extraction.close()


def _run(pool: ExtractionPool, body: bytes, url: str, encoding: str = "utf-8") -> Article:
    return asyncio.run(pool.article(body, url, encoding, CONTEXT))


def _comparable(record: dict) -> dict:
    """The record without what depends on when and from what it was read (``extract`` takes text)."""
    return {name: value for name, value in record.items() if name not in ("crawled_at", "encoding_detected")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_article_page_gives_the_in_process_record(pool: ExtractionPool, variant: str) -> None:
    pages = [gold for gold in gold_records(variant) if gold["visible"]]
    assert len(pages) == 30
    for gold in pages:
        body = article_file(variant, gold).read_bytes()
        finished = _run(pool, body, gold["url"])
        in_process = extract(body.decode("utf-8"), gold["url"], site="demo", family="nukeviet")
        assert _comparable(asdict(finished)) == _comparable(in_process), gold["id"]
        assert finished.encoding_detected == "utf-8"
        assert validation_errors(asdict(finished)) == []


def test_a_page_in_another_encoding_is_read_in_it(pool: ExtractionPool) -> None:
    """A windows-1258 page declared as UTF-8 (a common misconfiguration) is still read right."""
    gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
    html = article_file("egov-short", gold).read_text(encoding="utf-8")
    finished = _run(pool, cp1258_bytes(html), gold["url"], encoding="utf-8")
    assert finished.encoding_detected == "cp1258"
    assert finished.title == extract(html, gold["url"], site="demo", family="nukeviet")["title"]


def test_not_an_article_comes_back_as_such(pool: ExtractionPool) -> None:
    listing = b"<html><body><ul><li><a href='/a-1.html'>Tin</a></li></ul></body></html>"
    with pytest.raises(NotAnArticle):
        _run(pool, listing, "http://127.0.0.1/tin-tuc/")


def test_a_killed_worker_is_replaced_and_its_page_tried_again() -> None:
    gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
    body = article_file("egov-short", gold).read_bytes()
    others = set(multiprocessing.active_children())  # the module's pool
    pool = ExtractionPool(1)
    try:
        assert _run(pool, body, gold["url"]).native_id == str(gold["id"])
        (worker,) = set(multiprocessing.active_children()) - others
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
        assert _run(pool, body, gold["url"]).native_id == str(gold["id"])
        assert pool.restarts == 1
    finally:
        pool.close()
    assert set(multiprocessing.active_children()) == others  # closing stopped its worker


@pytest.mark.parametrize(("value", "count"), [(None, 0), ("0", 0), ("2", 2), (3, 3)])
def test_setting_is_a_count(value: object, count: int) -> None:
    assert extraction_processes(Settings({"NEWSSPIDER_EXTRACTION_PROCESSES": value})) == count


@pytest.mark.parametrize("value", ["two", "-1", "1.5"])
def test_a_wrong_setting_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="NEWSSPIDER_EXTRACTION_PROCESSES must be a whole number"):
        extraction_processes(Settings({"NEWSSPIDER_EXTRACTION_PROCESSES": value}))


@pytest.mark.parametrize("pipeline", [CleanPipeline, NormalizePipeline])
def test_clean_and_normalize_run_once_only(pipeline: type) -> None:
    """With extraction processes the records come back cleaned and normalized: the pipelines stand down."""
    assert isinstance(pipeline.from_crawler(get_crawler(PortalSpider)), pipeline)
    with pytest.raises(NotConfigured):
        pipeline.from_crawler(get_crawler(PortalSpider, {"NEWSSPIDER_EXTRACTION_PROCESSES": 1}))
