"""Crawl health: after each run, a JSON report per site beside the feed, and a verdict.

``<feed stem>.health.json`` holds, per site: records exported, rejected (by the field each
reason names), failures by reason (from the failure ledger), the share of records that have
each field (``coverage``, over every record that reached validation, exported or rejected), and
the error rate of requests. A layout change shows up here first: the parser still finds article
pages, but the fields come back empty.

The run is marked failed (``newsspider/failure``, so ``scrapy crawl`` exits 3) with a message
naming the site and the fields when

- a field's coverage is below ``NEWSSPIDER_MIN_COVERAGE`` (checked once the run has at least
  ``NEWSSPIDER_HEALTH_MIN_RECORDS`` records: three records are no sample), or
- articles were found but none was exported, other than by design (unchanged, duplicates, out of
  the backfill window). An incremental run that found nothing new is healthy.

Our own extension rather than Spidermon: Spidermon's monitors do not change the exit status (a
scheduler needs it), its built-in suite needs every monitor configured, and it would be one more
dependency for ~150 lines that plug into the failure ledger and the run verdict we already have.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsspider.failures import article_not_exported
from newsspider.feeds import sibling_path
from newsspider.items import record_of
from newsspider.pipelines.validate import validation_errors

__all__ = ["HEALTH_SUFFIX", "COVERAGE_FIELDS", "Health"]

logger = logging.getLogger(__name__)

HEALTH_SUFFIX = ".health.json"
COVERAGE_FIELDS = (
    "title", "summary", "body_text", "body_html", "published_at", "modified_at", "authors",
    "source", "category", "tags", "images", "canonical_url",
)  # fmt: skip
# Failures that are about the page, not the request: left out of the error rate.
_PAGE_REASONS = frozenset({
    "not_article", "not_html", "family_unrecognised", "rejected", "pipeline_error", "spider_error",
    "extraction_failed", "offsite", "private_address", "blocked_endpoint", "robots_txt",
})  # fmt: skip


class _SiteHealth:
    def __init__(self) -> None:
        self.exported = 0
        self.rejected = 0
        self.reject_fields: Counter[str] = Counter()
        self.present: Counter[str] = Counter()
        self.out_of_window = 0

    def add(self, record: dict[str, Any], reasons: list[str] | None = None) -> None:
        for name in COVERAGE_FIELDS:
            if record.get(name) not in (None, "", [], {}):
                self.present[name] += 1
        if reasons:
            self.rejected += 1
            self.reject_fields.update({reason.split(":", 1)[0].split("/", 1)[0] for reason in reasons})
        else:
            self.exported += 1

    @property
    def records(self) -> int:
        return self.exported + self.rejected

    def coverage(self) -> dict[str, float]:
        return {
            name: round(self.present[name] / self.records, 4) if self.records else 0.0
            for name in COVERAGE_FIELDS
        }


class Health:
    """Write the health report when the spider closes; fail the run when the site looks broken."""

    def __init__(self, crawler: Crawler, min_coverage: dict[str, float], min_records: int) -> None:
        self.crawler = crawler
        self.min_coverage = min_coverage
        self.min_records = min_records
        self.sites: dict[str, _SiteHealth] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Health:
        settings = crawler.settings
        minimum = {
            str(name): float(value) for name, value in settings.getdict("NEWSSPIDER_MIN_COVERAGE").items()
        }
        extension = cls(crawler, minimum, settings.getint("NEWSSPIDER_HEALTH_MIN_RECORDS"))
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.not_exported, signal=article_not_exported)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any, response: Response | None, spider: Spider) -> None:
        self._site(spider).add(record_of(item))

    def item_dropped(
        self, item: Any, response: Response | None, exception: BaseException, spider: Spider
    ) -> None:
        record = record_of(item)
        reasons = validation_errors(record)
        if reasons:  # a rejected record counts in coverage; a duplicate or unchanged one does not
            self._site(spider).add(record, reasons)

    def not_exported(self, response: Response, reason: str) -> None:
        if reason == "out_of_window" and self.crawler.spider is not None:
            self._site(self.crawler.spider).out_of_window += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.crawler.stats is not None
        stats = self.crawler.stats.get_stats()
        site = getattr(spider, "site", spider.name)
        health = self._site(spider)
        report = self.report(site, health, stats)
        problems = report["problems"]
        document = {
            "finish_reason": reason,
            "verdict": "failed" if problems else "ok",
            "sites": {site: report},
        }
        path = Path(sibling_path(self.crawler.settings, spider, HEALTH_SUFFIX))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if problems:
            message = f"health check of site {site}: " + "; ".join(problems)
            earlier = stats.get("newsspider/failure")
            self.crawler.stats.set_value(
                "newsspider/failure", f"{earlier}; {message}" if earlier else message
            )
            logger.error("%s (report: %s)", message, path)
        else:
            logger.info("health check of site %s: ok (report: %s)", site, path)

    def report(self, site: str, health: _SiteHealth, stats: dict[str, Any]) -> dict[str, Any]:
        """Return the health report of one site, with ``problems`` (empty when healthy)."""
        failures = {
            key.removeprefix("newsspider/failed/"): int(value)
            for key, value in sorted(stats.items()) if key.startswith("newsspider/failed/")
        }  # fmt: skip
        request_errors = sum(count for reason, count in failures.items() if reason not in _PAGE_REASONS)
        pages = int(stats.get("response_received_count", 0))
        found = int(stats.get("newsspider/articles_found", 0))
        by_design = (
            int(stats.get("newsspider/unchanged", 0))
            + int(stats.get("newsspider/duplicates", 0))
            + health.out_of_window
        )
        coverage = health.coverage()
        problems = []
        # A fleet worker finds articles that other workers of the run fetch and export: "found but
        # none exported" says nothing of one worker (docs/fleet.md: watch the run, not a worker).
        fleet_worker = "scheduler/dequeued/redis" in stats
        if found and not health.exported and by_design < found and not fleet_worker:
            problems.append(f"nothing exported of {found} articles found ({_reasons(failures)})")
        if health.records >= max(self.min_records, 1):
            low = [
                f"{name} {coverage.get(name, 0.0):.0%} (min {minimum:.0%})"
                for name, minimum in self.min_coverage.items() if coverage.get(name, 0.0) < minimum
            ]  # fmt: skip
            if low:
                problems.append("field coverage below thresholds: " + ", ".join(low))
        return {
            "site": site,
            "articles_found": found,
            "exported": health.exported,
            "rejected": health.rejected,
            "rejects_by_field": dict(sorted(health.reject_fields.items())),
            "failures_by_reason": failures,
            "failed_articles": int(stats.get("newsspider/failed_articles", 0)),
            "records": health.records,
            "coverage": coverage,
            "min_coverage": self.min_coverage,
            "pages": pages,
            "request_errors": request_errors,
            "error_rate": round(request_errors / (pages + request_errors), 4)
            if pages + request_errors
            else 0.0,
            "problems": problems,
        }

    def _site(self, spider: Spider) -> _SiteHealth:
        return self.sites.setdefault(getattr(spider, "site", spider.name), _SiteHealth())


def _reasons(failures: dict[str, int]) -> str:
    shown = [f"{reason} {count}" for reason, count in sorted(failures.items(), key=lambda kv: -kv[1])]
    return ", ".join(shown) if shown else "no failure recorded"
