"""Extraction processes: the records the crawl process makes, and a pool that outlives a killed worker."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from gold import VARIANTS, article_file, gold_records
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from test_encoding import cp1258_bytes

from newsspider.extraction import NotAnArticle, PageContext, extract
from newsspider.extraction_pool import ExtractionFailed, ExtractionPool, extraction_processes
from newsspider.items import Article
from newsspider.pipelines.clean import CleanPipeline
from newsspider.pipelines.normalize import NormalizePipeline
from newsspider.pipelines.validate import validation_errors
from newsspider.spiders.portal import PortalSpider

CONTEXT = PageContext(site="demo", family="nukeviet")


def _extract_all(pages: list[tuple[bytes, str]], *, processes: int = 2, encoding: str = "utf-8") -> list[Any]:
    """Return the article (or the exception) each page gives in a pool of worker processes."""

    async def scenario() -> list[Any]:
        pool = ExtractionPool(processes)
        try:
            jobs = (pool.article(body, url, encoding, CONTEXT) for body, url in pages)
            return await asyncio.gather(*jobs, return_exceptions=True)
        finally:
            await pool.close()

    return asyncio.run(scenario())


def _comparable(record: dict) -> dict:
    """The record without what depends on when and from what it was read (``extract`` takes text)."""
    return {name: value for name, value in record.items() if name not in ("crawled_at", "encoding_detected")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_article_page_gives_the_in_process_record(variant: str) -> None:
    pages = [gold for gold in gold_records(variant) if gold["visible"]]
    assert len(pages) == 30
    bodies = [article_file(variant, gold).read_bytes() for gold in pages]
    finished = _extract_all([(body, gold["url"]) for body, gold in zip(bodies, pages, strict=True)])
    for gold, body, article in zip(pages, bodies, finished, strict=True):
        assert isinstance(article, Article), article
        in_process = extract(body.decode("utf-8"), gold["url"], site="demo", family="nukeviet")
        assert _comparable(asdict(article)) == _comparable(in_process), gold["id"]
        assert article.encoding_detected == "utf-8"
        assert validation_errors(asdict(article)) == []


def test_a_page_in_another_encoding_is_read_in_it() -> None:
    """A windows-1258 page declared as UTF-8 (a common misconfiguration) is still read right."""
    gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
    html = article_file("egov-short", gold).read_text(encoding="utf-8")
    (finished,) = _extract_all([(cp1258_bytes(html), gold["url"])], processes=1)
    assert finished.encoding_detected == "cp1258"
    assert finished.title == extract(html, gold["url"], site="demo", family="nukeviet")["title"]


def test_not_an_article_comes_back_as_such() -> None:
    listing = b"<html><body><ul><li><a href='/a-1.html'>Tin</a></li></ul></body></html>"
    (answer,) = _extract_all([(listing, "http://127.0.0.1/tin-tuc/")], processes=1)
    assert isinstance(answer, NotAnArticle)


def test_a_killed_worker_is_replaced_and_its_pages_tried_again() -> None:
    """Pages a worker held when it was killed come back from its replacement; none is lost."""
    golds = [gold for gold in gold_records("egov-short") if gold["visible"]][:8]
    pages = [(article_file("egov-short", gold).read_bytes(), gold["url"]) for gold in golds]

    async def scenario() -> tuple[list[Article], int, list[int]]:
        pool = ExtractionPool(1)
        try:
            await pool.article(*pages[0], "utf-8", CONTEXT)  # the worker is running
            (pid,) = pool.pids
            held = [asyncio.ensure_future(pool.article(body, url, "utf-8", CONTEXT)) for body, url in pages]
            os.kill(pid, signal.SIGKILL)
            articles = await asyncio.gather(*held)
            return articles, pool.restarts, pool.pids
        finally:
            await pool.close()

    articles, restarts, pids = asyncio.run(scenario())
    assert [article.native_id for article in articles] == [str(gold["id"]) for gold in golds]
    assert restarts == 1 and len(pids) == 1


def test_a_page_that_kills_its_worker_twice_fails_alone() -> None:
    gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
    page = (article_file("egov-short", gold).read_bytes(), gold["url"])

    async def scenario() -> tuple[BaseException | None, Article, int]:
        pool = ExtractionPool(1)
        try:
            await pool.article(*page, "utf-8", CONTEXT)
            held = asyncio.ensure_future(pool.article(*page, "utf-8", CONTEXT))
            (first,) = pool.pids
            os.kill(first, signal.SIGKILL)
            while pool.pids in ([], [first]):  # until its replacement holds the page (it is importing)
                await asyncio.sleep(0.005)
            (second,) = pool.pids
            os.kill(second, signal.SIGKILL)
            failure = await asyncio.gather(held, return_exceptions=True)
            after = await pool.article(*page, "utf-8", CONTEXT)  # the crawl goes on
            return failure[0], after, pool.restarts
        finally:
            await pool.close()

    failure, after, restarts = asyncio.run(scenario())
    assert isinstance(failure, ExtractionFailed) and "took two extraction processes down" in str(failure)
    assert after.native_id == str(gold["id"]) and restarts == 2


def test_a_worker_holding_a_page_too_long_is_replaced() -> None:
    """A worker that stops answering (SIGSTOP: as a page that never finishes) is killed after the
    page timeout; the page comes back from its replacement."""
    gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
    page = (article_file("egov-short", gold).read_bytes(), gold["url"])

    async def scenario() -> tuple[Article, int, bool]:
        pool = ExtractionPool(1, page_timeout=1.0)
        try:
            await pool.article(*page, "utf-8", CONTEXT)
            (stuck,) = pool.pids
            os.kill(stuck, signal.SIGSTOP)
            article = await pool.article(*page, "utf-8", CONTEXT)
            return article, pool.restarts, stuck in pool.pids
        finally:
            await pool.close()

    article, restarts, stuck_still_there = asyncio.run(scenario())
    assert article.native_id == str(gold["id"]) and restarts == 1 and not stuck_still_there


def test_closing_stops_the_workers() -> None:
    async def scenario() -> list[int]:
        pool = ExtractionPool(2)
        gold = next(gold for gold in gold_records("egov-short") if gold["visible"])
        await pool.article(article_file("egov-short", gold).read_bytes(), gold["url"], "utf-8", CONTEXT)
        pids = pool.pids
        await pool.close()
        return pids

    pids = asyncio.run(scenario())
    assert len(pids) == 2 and not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


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
