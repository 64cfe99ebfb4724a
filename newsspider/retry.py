"""Retries that wait: exponential backoff, and the server's ``Retry-After`` when it sends one.

Scrapy 2.19's ``RetryMiddleware`` re-queues a failed request at once. A provincial portal that
answers 503 or 429 is overloaded or rate-limiting; hammering it again makes things worse. This
subclass waits before handing the retry back: ``Retry-After`` (seconds or an HTTP date) when the
response has one, else ``NEWSSPIDER_RETRY_BACKOFF × 2^(attempt - 1)``, never more than
``NEWSSPIDER_RETRY_MAX_DELAY``. A server asking for a longer pause than that is not retried in
this run (the request fails with its status, and the next scheduled run gets it).

The wait holds only the retried request (it is off the site's download slot while it waits), so
the rest of the crawl goes on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

__all__ = ["BackoffRetryMiddleware", "retry_after_seconds"]


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Return the delay a ``Retry-After`` header asks for, in seconds (None: absent or unreadable)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() is True too
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, waiting before each retry (replaces it at priority 550)."""

    backoff: float
    max_delay: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.backoff = crawler.settings.getfloat("NEWSSPIDER_RETRY_BACKOFF")
        middleware.max_delay = crawler.settings.getfloat("NEWSSPIDER_RETRY_MAX_DELAY")
        return middleware

    async def process_response(self, request: Request, response: Response) -> Any:  # type: ignore[override]
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.max_delay and response.status in self.retry_http_codes:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsspider/retry_after_too_long")
            return response
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, asked)
        return result

    async def process_exception(self, request: Request, exception: Exception) -> Any:  # type: ignore[override]
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    def delay(self, attempt: int, asked: float | None) -> float:
        """Return how long to wait before retry number ``attempt`` (1, 2, …)."""
        if asked is not None:
            return min(asked, self.max_delay)
        return min(self.backoff * 2 ** max(attempt - 1, 0), self.max_delay)

    async def _wait(self, retry: Request, asked: float | None) -> None:
        seconds = self.delay(int(retry.meta.get("retry_times", 1)), asked)
        if seconds > 0:
            # the reactor Scrapy installed; importing it at module level could install another
            from twisted.internet import reactor

            await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
