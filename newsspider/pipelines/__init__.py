"""Item pipelines, one concern each, in this order: clean → normalize → validate → dedupe,
then, when ``DATABASE_URL`` is set, database (``newsspider load`` during the crawl)."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

__all__ = ["EXTRACTION_PROCESSES", "not_run_in_extraction_processes"]

EXTRACTION_PROCESSES = "NEWSSPIDER_EXTRACTION_PROCESSES"


def not_run_in_extraction_processes(crawler: Crawler) -> None:
    """Raise NotConfigured for a stage the crawl's extraction processes run already.

    With ``NEWSSPIDER_EXTRACTION_PROCESSES`` above 0, article pages come back from those
    processes cleaned and normalized (:mod:`newsspider.extraction_pool`).
    """
    if crawler.settings.getint(EXTRACTION_PROCESSES) > 0:
        raise NotConfigured  # no message: Scrapy would log a warning for what is no mistake
