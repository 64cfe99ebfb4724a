"""The failure ledger: every URL a run gave up on, with its reason, in a JSON Lines file.

One line per URL given up on (``<feed stem>.failures.jsonl`` beside the feed): ``url``,
``article_id`` when the URL was an article's, ``reason`` (``http_503``, ``timeout``,
``too_large``, ``private_address``, ``not_article``, ``rejected`` …), ``status`` or
``exception``, and ``attempts``. Each is counted in the stats as ``newsspider/failed/<reason>``;
articles also as ``newsspider/failed_articles``, so that for every run

    articles found = exported + failed + unchanged + duplicates + out of window

(``newsspider.extensions.progress`` logs that identity). A URL is recorded once, however many
retries, redirects and hooks saw it fail: the ledger keys it by article id, else by the URL
first requested.

Where failures are seen:

- :class:`FailureLedgerMiddleware`, a downloader middleware next to the engine (priority 10), sees
  a response that is still an error after retries (``process_response``) and an exception no
  middleware turned into a retry (``process_exception``: timeouts, resets, truncated bodies,
  size caps, and every refusal raised by a later middleware's ``process_request``);
- :class:`RedirectMiddleware` and :class:`HttpCompressionMiddleware` replace Scrapy's own to
  record the refusals those raise while processing a response (a redirect loop on a request that
  skips the duplicate filter, a body that decompresses past ``DOWNLOAD_MAXSIZE``: a gzip bomb);
- signals: a redirect dropped by the duplicate filter (a loop), a request dropped before it was
  scheduled (``newsspider.netguard``), an article page the spider could not turn into a record
  (:data:`article_not_exported`), a record the validator rejected, a pipeline or callback error.
"""

from __future__ import annotations

import json
import logging
import weakref
from pathlib import Path
from typing import IO, Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import (
    HttpCompressionMiddleware as _ScrapyHttpCompressionMiddleware,
)
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as _ScrapyRedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from newsspider.feeds import sibling_path
from newsspider.items import record_of

__all__ = [
    "FAILURES_SUFFIX",
    "FailureLedger",
    "FailureLedgerMiddleware",
    "HttpCompressionMiddleware",
    "RedirectMiddleware",
    "Refused",
    "article_not_exported",
    "ledger_for",
    "reason_for",
]

logger = logging.getLogger(__name__)

FAILURES_SUFFIX = ".failures.jsonl"

article_not_exported = object()
"""Signal sent by the spider for an article page it could not turn into a record.

Arguments: ``response`` (its ``meta`` holds ``article_id``) and ``reason`` (``not_article``,
``not_html``, ``family_unrecognised``, ``extraction_failed``; ``out_of_window`` is an outcome by
design, no failure).
"""

# Outcomes of an article page that are by design, not failures.
_NOT_FAILURES = frozenset({"out_of_window"})

# Scrapy's own refusals carry only a message.
_IGNORE_MESSAGES = (
    ("robots.txt", "robots_txt"),
    ("blocked endpoint", "blocked_endpoint"),
    ("offsite", "offsite"),
    ("max redirections", "redirect_loop"),
    ("DOWNLOAD_MAXSIZE", "too_large"),
)
_EXCEPTION_REASONS = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "DownloadCancelledError": "too_large",  # DOWNLOAD_MAXSIZE, the only reason Scrapy cancels
    "ResponseDataLossError": "truncated",
    "DownloadConnectionRefusedError": "connection_refused",
    "ConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns_error",
    "DownloadFailedError": "connection_error",  # reset, lost, closed before the response ended
    "DNSLookupError": "dns_error",
}


class Refused(IgnoreRequest):
    """A request refused on purpose before any connection, with the ledger's reason for it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def reason_for(exception: BaseException) -> str:
    """Return the ledger reason for an exception that made a request fail for good."""
    if isinstance(exception, Refused):
        return exception.reason
    if isinstance(exception, IgnoreRequest):
        message = str(exception)
        return next((reason for text, reason in _IGNORE_MESSAGES if text in message), "ignored")
    name = type(exception).__name__
    if name in _EXCEPTION_REASONS:
        return _EXCEPTION_REASONS[name]
    if isinstance(exception, (ConnectionError, OSError)) or "Connection" in name or "Response" in name:
        return "connection_error"  # reset, closed, lost, never answered
    return "error"


class FailureLedger:
    """The failures of one crawl: written to the failures file, counted in the stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._keys: set[str] = set()
        self._file: IO[str] | None = None
        self.articles: dict[str, str] = {}  # article id -> reason
        crawler.signals.connect(self._request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self._item_error, signal=signals.item_error)
        crawler.signals.connect(self._spider_error, signal=signals.spider_error)
        crawler.signals.connect(self._not_exported, signal=article_not_exported)
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def record(
        self, request: Request | None, reason: str, *, url: str | None = None,
        article_id: str | None = None, status: int | None = None, exception: str | None = None,
        detail: Any = None,
    ) -> bool:  # fmt: skip
        """Record a URL given up on; return False when it was already recorded."""
        meta = request.meta if request is not None else {}
        article_id = article_id or meta.get("article_id")
        first_url = url or (meta.get("redirect_urls") or [None])[0] or (request.url if request else None)
        key = f"article:{article_id}" if article_id else f"url:{first_url}"
        if key in self._keys:
            return False
        self._keys.add(key)
        line: dict[str, Any] = {"url": first_url, "article_id": article_id, "reason": reason}
        if request is not None and request.url != first_url:
            line["final_url"] = request.url
        if status is not None:
            line["status"] = status
        if exception:
            line["exception"] = exception
        line["attempts"] = int(meta.get("retry_times", 0)) + 1 if request is not None else 1
        if detail is not None:
            line["detail"] = detail
        self._write(line)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("newsspider/failed")
        stats.inc_value(f"newsspider/failed/{reason}")
        if article_id:
            self.articles[article_id] = reason
            stats.inc_value("newsspider/failed_articles")
        logger.info("gave up on %s: %s", first_url, reason)
        return True

    def record_exception(self, request: Request, exception: BaseException) -> None:
        """Record a request that failed for good with ``exception``."""
        self.record(
            request, reason_for(exception), exception=f"{type(exception).__name__}: {exception}"[:500]
        )

    # -- signals ----------------------------------------------------------------------------

    def _request_dropped(self, request: Request, spider: Spider) -> None:
        # The duplicate filter drops a redirect back to a URL already requested: a loop. Other
        # duplicates (the same listing linked twice) were requested once and are no failure.
        if request.meta.get("redirect_urls"):
            self.record(request, "redirect_loop")

    def _item_dropped(
        self, item: Any, response: Response | None, exception: BaseException, spider: Spider
    ) -> None:
        from newsspider.pipelines.validate import validation_errors  # the validator's own verdict

        record = record_of(item)
        reasons = validation_errors(record)
        if reasons:  # dropped by validation; dedupe's drops (duplicate, unchanged) are no failures
            request = response.request if response is not None else None
            self.record(
                request, "rejected", url=record.get("url"), article_id=_meta_id(response), detail=reasons
            )

    def _item_error(self, item: Any, response: Response | None, spider: Spider, failure: Failure) -> None:
        request = response.request if response is not None else None
        url = ItemAdapter(item).get("url")
        self.record(request, "pipeline_error", url=url, article_id=_meta_id(response),
                    exception=f"{failure.type.__name__}: {failure.value}"[:500])  # fmt: skip

    def _spider_error(self, failure: Failure, response: Response | Failure, spider: Spider) -> None:
        if isinstance(response, Response):  # a callback that raised: its page was not used
            self.record(
                response.request, "spider_error", exception=f"{failure.type.__name__}: {failure.value}"[:500]
            )

    def _not_exported(self, response: Response, reason: str) -> None:
        if reason in _NOT_FAILURES:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"newsspider/{reason}_fetched")
        else:
            self.record(response.request, reason, status=response.status)

    def _spider_closed(self, spider: Spider) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, line: dict[str, Any]) -> None:
        if self._file is None:
            spider = self.crawler.spider
            assert spider is not None
            path = Path(sibling_path(self.crawler.settings, spider, FAILURES_SUFFIX))
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
        self._file.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
        self._file.flush()


_LEDGERS: weakref.WeakKeyDictionary[Crawler, FailureLedger] = weakref.WeakKeyDictionary()


def ledger_for(crawler: Crawler) -> FailureLedger:
    """Return the crawl's ledger, shared by every component that records failures."""
    ledger = _LEDGERS.get(crawler)
    if ledger is None:
        ledger = _LEDGERS[crawler] = FailureLedger(crawler)
    return ledger


def _meta_id(response: Response | None) -> str | None:
    return response.meta.get("article_id") if response is not None else None


class FailureLedgerMiddleware:
    """Record the requests that failed for good; enable it next to the engine (priority 10).

    There it sees responses and exceptions only after the retry and redirect middlewares are
    done with them: a request being retried or redirected never reaches it, so nothing is
    counted twice.
    """

    def __init__(self, ledger: FailureLedger) -> None:
        self.ledger = ledger

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailureLedgerMiddleware:
        return cls(ledger_for(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status >= 400 and not _is_robots(request):
            self.ledger.record(request, f"http_{response.status}", status=response.status)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not _is_robots(request):
            self.ledger.record_exception(request, exception)


def _is_robots(request: Request) -> bool:
    """A robots.txt that is missing or fails is read as "allow all": it is no URL given up on."""
    return request.url.endswith("/robots.txt")


class _RecordsRefusals:
    """For a Scrapy middleware that refuses responses: record the refusal in the ledger.

    Scrapy raises these refusals (too many redirects, a gzip bomb) while it processes a response,
    where no other middleware sees them.
    """

    ledger: FailureLedger

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)  # type: ignore[misc]
        middleware.ledger = ledger_for(crawler)
        return middleware

    def process_response(self, request: Request, response: Response) -> Any:
        try:
            return super().process_response(request, response)  # type: ignore[misc]
        except IgnoreRequest as refused:
            self.ledger.record_exception(request, refused)
            raise


class RedirectMiddleware(_RecordsRefusals, _ScrapyRedirectMiddleware):  # type: ignore[misc]
    """Scrapy's redirect middleware; a redirect it refuses (too many hops) is recorded."""


class HttpCompressionMiddleware(_RecordsRefusals, _ScrapyHttpCompressionMiddleware):  # type: ignore[misc]
    """Scrapy's decompression; a body that decompresses past ``DOWNLOAD_MAXSIZE`` is recorded."""
