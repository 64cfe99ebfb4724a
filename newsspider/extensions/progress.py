"""Progress of long runs, a summary at the end, and the verdict on whether the run failed.

A scheduled job must say more than Scrapy's stats dump: how many articles were found and
exported per minute while it runs, and at the end, per site, how many were new, updated,
skipped as known, rejected, and how many requests failed. A run that fetched nothing, or whose
error rate passes ``NEWSSPIDER_MAX_ERROR_RATE``, is marked failed (``newsspider/failure``), and
``scrapy crawl`` then exits non-zero (see ``newsspider.commands.crawl``).
"""

from __future__ import annotations

import logging
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

__all__ = ["Progress", "article_accounting", "run_summary"]

logger = logging.getLogger(__name__)

_SUMMARY_KEYS = (
    "new", "updated", "skipped_known", "unchanged", "out_of_window", "rejected", "duplicates",
    "articles_found", "recovered", "not_article", "blocked_endpoint", "failed", "failed_articles",
    "out_of_window_fetched",
)  # fmt: skip


def run_summary(stats: dict) -> dict[str, int]:
    """Return the per-site summary of a run from its stats."""
    summary = {key: int(stats.get(f"newsspider/{key}", 0)) for key in _SUMMARY_KEYS}
    summary["exported"] = int(stats.get("item_scraped_count", 0))
    summary["pages"] = int(stats.get("response_received_count", 0))
    summary["errors"] = _errors(stats)
    return summary


def article_accounting(summary: dict[str, int]) -> tuple[str, int]:
    """Return where every article found went, as a line, and how many are unaccounted for.

    Each article found is exported, failed (with its reason in the failures file: download
    errors, not an article, rejected …), unchanged, a duplicate, or out of the backfill window.
    """
    keys = ("exported", "failed_articles", "unchanged", "duplicates", "out_of_window_fetched")
    parts = {key: summary[key] for key in keys}
    unaccounted = summary["articles_found"] - sum(parts.values())
    line = f"articles found {summary['articles_found']} = " + " + ".join(
        f"{key.removesuffix('_articles').removesuffix('_fetched')} {value}" for key, value in parts.items()
    )
    return (line + (f" ({unaccounted} unaccounted)" if unaccounted else "")), unaccounted


_FETCH_FAILURES = frozenset(
    {
        "timeout",
        "truncated",
        "connection_refused",
        "connection_error",
        "dns_error",
        "too_large",
        "error",
        "http_429",
    }
)


def _errors(stats: dict) -> int:
    """Requests the site failed for good, after retries, as the failure ledger counted them.

    Only fetch failures count (timeouts, resets, 5xx, 429): a request refused on purpose (robots.txt,
    a blocked endpoint, off-site) or a page that is no article says nothing of the site's health.
    """
    prefix = "newsspider/failed/"
    reasons = {key[len(prefix) :]: int(count) for key, count in stats.items() if key.startswith(prefix)}
    failed = sum(
        count for reason, count in reasons.items() if reason in _FETCH_FAILURES or reason.startswith("http_5")
    )
    return failed + int(stats.get("spider_exceptions/count", 0))


class Progress:
    """Log pages and items per minute while running; summarise and judge the run at the end."""

    def __init__(self, crawler: Crawler, interval: float, max_error_rate: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.max_error_rate = max_error_rate
        self._task: task.LoopingCall | None = None
        self._last = (time.monotonic(), 0, 0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        extension = cls(
            crawler,
            settings.getfloat("NEWSSPIDER_PROGRESS_INTERVAL"),
            settings.getfloat("NEWSSPIDER_MAX_ERROR_RATE"),
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        if self.interval > 0:
            self._task = task.LoopingCall(self.log_progress, spider)
            self._task.start(self.interval, now=False)

    def log_progress(self, spider: Spider) -> None:
        stats = self._stats()
        now, pages, items = (
            time.monotonic(),
            stats.get("response_received_count", 0),
            stats.get("item_scraped_count", 0),
        )
        minutes = max(now - self._last[0], 1e-9) / 60
        logger.info(
            "%s: %d pages (%.0f/min), %d articles exported (%.0f/min) of %d found; %d skipped as known",
            getattr(spider, "site", spider.name), pages, (pages - self._last[1]) / minutes, items,
            (items - self._last[2]) / minutes, stats.get("newsspider/articles_found", 0),
            stats.get("newsspider/skipped_known", 0),
        )  # fmt: skip
        self._last = (now, pages, items)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
        stats = self._stats()
        summary = run_summary(stats)
        site = getattr(spider, "site", spider.name)
        logger.info(
            "run summary for %s: %s", site, ", ".join(f"{key} {value}" for key, value in summary.items())
        )
        accounting, unaccounted = article_accounting(summary)
        (logger.warning if unaccounted else logger.info)("accounting for %s: %s", site, accounting)
        failure = self._failure(summary, reason)
        if failure:
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("newsspider/failure", failure)
            logger.error("run of %s FAILED: %s", site, failure)

    def _failure(self, summary: dict[str, int], reason: str) -> str | None:
        if reason not in ("finished", "closespider_itemcount", "closespider_pagecount"):
            return f"the crawl ended early ({reason})"
        if summary["pages"] == 0 and self._stats().get("scheduler/dequeued/redis", -1) != 0:
            return "nothing was fetched"  # (a fleet worker whose run left it no request has not failed)
        rate = summary["errors"] / max(summary["pages"] + summary["errors"], 1)
        if rate > self.max_error_rate:
            return f"{summary['errors']} failed requests, {rate:.0%} of all (limit {self.max_error_rate:.0%})"
        return None

    def _stats(self) -> dict:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_stats()
