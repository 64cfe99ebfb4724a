"""Article pages parsed, cleaned and normalized in other processes, leaving the crawl's to Scrapy.

A Scrapy crawl is one thread: every millisecond spent parsing a page is a millisecond the engine
does not download, schedule or export. Parsing, cleaning and normalizing an article page costs
about as much CPU as Scrapy's own handling of it, so a crawl that is not held back by politeness
(a backfill, a fast portal) runs at half of Scrapy's speed on one core while the other cores idle.

With ``NEWSSPIDER_EXTRACTION_PROCESSES = N`` (N > 0) the portal spider sends each article page's
bytes to one of N worker processes and awaits its finished record
(:func:`newsspider.extraction.finished_article`). The clean and normalize pipelines then have
nothing left to do and are not enabled; validation, dedupe, the feed and the database stay in
the crawl process, so what reaches them, and in what order they see it, does not change.

Workers are spawned (not forked: the crawl process has threads) and ignore Ctrl-C, which the
crawl process handles and passes on by shutting the pool down. A worker that dies (killed, out
of memory) breaks the pool; it is started again and the page tried once more in the new one.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from logging import getLogger

from scrapy.settings import BaseSettings

from newsspider.extraction import PageContext, finished_article
from newsspider.items import Article
from newsspider.pipelines import EXTRACTION_PROCESSES as SETTING

__all__ = ["ExtractionPool", "extraction_processes"]

logger = getLogger(__name__)


def extraction_processes(settings: BaseSettings) -> int:
    """Return how many extraction processes the settings ask for; raise ValueError when not a count."""
    value = settings.get(SETTING) or 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"{SETTING} must be a whole number, 0 (pages parsed in the crawl process) or more")
    return count


class ExtractionPool:
    """Worker processes that turn article pages into finished records."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.restarts = 0
        self._executor = self._start()

    async def article(self, body: bytes, url: str, declared_encoding: str, context: PageContext) -> Article:
        """Return the finished article of a page; raise NotAnArticle as ``finished_article`` does."""
        for attempt in (1, 2):
            executor = self._executor
            try:
                future = executor.submit(finished_article, body, url, declared_encoding, context)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                if attempt == 2:
                    raise
                self._restart(executor)
        raise AssertionError("unreachable")  # for type checkers: the loop returns or raises

    def close(self) -> None:
        """Stop the workers once the pages they hold are done (none are, once the crawl closes)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_interrupts
        )

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        """Replace a broken pool, once however many of its pages notice it."""
        if self._executor is not broken:
            return
        self.restarts += 1
        logger.error("an extraction process died; starting the extraction processes again")
        broken.shutdown(wait=False, cancel_futures=True)
        self._executor = self._start()


def _ignore_interrupts() -> None:
    """Leave Ctrl-C to the crawl process: it stops the workers when it shuts down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
