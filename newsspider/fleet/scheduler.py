"""The scrapy-redis scheduler, made reliable and fit for Scrapy 2.19.

Gaps of scrapy-redis 0.9.1 this module closes (docs/fleet.md):

- a popped request is gone from Redis: a killed worker loses what it had popped. Here a pop
  moves the request into the site's in-flight hash under the worker's lease, and it is removed
  (acked) only once Scrapy finished with it: its callback or errback ran, its items went through
  the pipelines and the feed, its follow-up requests are queued (a redirect or a retry is queued
  in its place). Requests of workers whose lease expired are put back by live workers;
- the duplicate filter is one set per spider, filled when a request is *queued*, so a URL that
  failed was never requested again. Here it is one set per site *and run*: the next run asks
  again for everything the previous one could not fetch;
- seeds are JSON ``{"url", "callback", "meta", …}`` read into a plain :class:`~scrapy.Request`
  (never a ``FormRequest`` whose unknown keys become form data); unknown keys are refused;
- ``inc_value(..., spider=)`` and ``Spider.log()`` (deprecated in Scrapy 2.19) are not called;
- a worker polls the shared queue every ``NEWSSPIDER_FLEET_POLL_SECONDS`` instead of on the
  engine's 5 s heartbeat, and stays until the run stays drained ``NEWSSPIDER_FLEET_IDLE_SECONDS``.
"""

from __future__ import annotations

import itertools
import json
import logging
import pickle
import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from newsspider.fleet.run import FleetRun

__all__ = ["FleetDupeFilter", "FleetScheduler", "ReliableQueue", "SeedOrPickle", "TOKEN_META_KEY"]

logger = logging.getLogger(__name__)

TOKEN_META_KEY = "_fleet_token"
"""Request meta key of the in-flight token of a popped request (``<worker>|<seq>|<score>``)."""

_SEED_KEYS = {"url", "callback", "errback", "method", "headers", "body", "cookies", "meta",
              "encoding", "priority", "dont_filter", "flags", "cb_kwargs"}  # fmt: skip

_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local token = ARGV[1] .. '|' .. r[2]
redis.call('HSET', KEYS[2], token, r[1])
return {token, r[1]}
"""


def _fleet(spider: Spider) -> FleetRun:
    fleet = getattr(spider, "fleet", None)
    if not isinstance(fleet, FleetRun):
        raise RuntimeError(f"spider {spider.name!r} has no fleet run; set NEWSSPIDER_REDIS_URL and join one")
    return fleet


class SeedOrPickle:
    """Queue serializer: requests are pickled; a JSON object (a seed) becomes a request dict."""

    @staticmethod
    def dumps(obj: dict[str, Any]) -> bytes:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def loads(data: bytes) -> dict[str, Any]:
        if data[:1] != b"{":
            return pickle.loads(data)  # noqa: S301 (written by our own workers)
        seed = json.loads(data)
        unknown = set(seed) - _SEED_KEYS
        if not isinstance(seed.get("url"), str) or unknown:
            raise ValueError(f"bad seed request {seed!r}: needs 'url'; unknown keys {sorted(unknown)}")
        return seed


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pops stay in flight until acked."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        fleet = _fleet(spider)
        super().__init__(server, spider, fleet.keys.queue, serializer or SeedOrPickle)
        self.inflight = fleet.keys.inflight
        self.worker = fleet.worker
        self._seq = itertools.count(1)
        self._pop = server.register_script(_POP)

    def pop(self, timeout: int = 0) -> Request | None:
        """Move the first request into flight; return it with its token in ``meta``."""
        popped = self._pop(keys=[self.key, self.inflight], args=[f"{self.worker}|{next(self._seq)}"])
        if not popped:
            return None
        token, data = popped
        try:
            request = self._decode_request(data)
        except Exception:
            logger.exception("dropped an undecodable queued request: %r", data[:200])
            self.server.hdel(self.inflight, token)
            return None
        request.meta[TOKEN_META_KEY] = token.decode()
        return request

    def ack(self, token: str) -> None:
        """The request of ``token`` is done: remove it from flight."""
        self.server.hdel(self.inflight, token)


class FleetDupeFilter(RFPDupeFilter):
    """scrapy-redis's fingerprint set, one per site and run, expiring after the run TTL."""

    def __init__(self, server: Any, key: str, debug: bool = False, ttl: int = 7 * 86400) -> None:
        super().__init__(server, key, debug)
        self.ttl = ttl

    @classmethod
    def from_spider(cls, spider: Spider) -> FleetDupeFilter:
        fleet = _fleet(spider)
        debug = spider.settings.getbool("DUPEFILTER_DEBUG")
        return cls(fleet.server, fleet.keys.of_run("dupefilter"), debug=debug, ttl=fleet.run_ttl)

    def request_seen(self, request: Request) -> bool:
        pipe = self.server.pipeline(transaction=False)
        pipe.sadd(self.key, self.request_fingerprint(request)).expire(self.key, self.ttl)
        added, _ = pipe.execute()
        return added == 0

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers of the run still use them."""


class FleetScheduler(Scheduler):
    """The scrapy-redis scheduler over the joined run's queue, acking what Scrapy finished."""

    crawler: Crawler
    queue: ReliableQueue

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetScheduler:
        settings = crawler.settings
        scheduler = cls(
            server=None, persist=True, serializer=SeedOrPickle,
            queue_cls="newsspider.fleet.scheduler.ReliableQueue",
            dupefilter_cls=settings.get("DUPEFILTER_CLASS") or "newsspider.fleet.scheduler.FleetDupeFilter",
        )  # fmt: skip
        scheduler.crawler = crawler
        scheduler.stats = crawler.stats
        scheduler.poll = settings.getfloat("NEWSSPIDER_FLEET_POLL_SECONDS", 1.0)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.fleet = _fleet(spider)
        self.server = self.fleet.server
        self.queue = ReliableQueue(self.server, spider, self.fleet.keys.queue, self.serializer)
        self.df = FleetDupeFilter.from_spider(spider)
        self.fleet.heartbeat()
        recovered = self.fleet.recover()
        if recovered:
            self._count("fleet/recovered", recovered)
        if self.stats is not None:  # 0, not absent: a worker given no request has not failed
            self.stats.set_value("scheduler/dequeued/redis", 0)
        self._idle_since: float | None = None
        self._last_beat = time.monotonic()
        self._wrap_scraper()
        self.crawler.signals.connect(self._on_idle, signal=signals.spider_idle)
        self._tick = LoopingCall(self._on_tick)
        self._tick.start(self.poll, now=False)
        queued, inflight = self.fleet.pending()
        logger.info("fleet run %s of %s: %d requests queued, %d in flight", self.fleet.run,
                    self.fleet.site.name, queued, inflight)  # fmt: skip

    def close(self, reason: str) -> None:
        if self._tick.running:
            self._tick.stop()
        moved = self.fleet.leave()
        if moved:
            self._count("fleet/requeued_on_close", moved)

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` unless seen in this run; a redirect or retry replaces its original."""
        token = request.meta.pop(TOKEN_META_KEY, None)
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            queued = False
        else:
            self.queue.push(request)
            self._count("scheduler/enqueued/redis")
            queued = True
        if token:
            self.queue.ack(token)  # after the push: a crash in between repeats, never loses
        return queued

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self._idle_since = None
            self._count("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    # -- acks, leases, idling ---------------------------------------------------------------

    def _wrap_scraper(self) -> None:
        """Ack a request once the scraper is done with its response or failure.

        Scrapy has no signal for "this request is fully processed" (items exported, follow-ups
        queued); the scraper's ``enqueue_scrape`` Deferred fires exactly then.
        """
        assert self.crawler.engine is not None
        scraper = self.crawler.engine.scraper
        original = scraper.enqueue_scrape

        def enqueue_scrape(result: Any, request: Request) -> Any:
            deferred = original(result, request)
            deferred.addBoth(self._ack, request)
            return deferred

        scraper.enqueue_scrape = enqueue_scrape  # type: ignore[method-assign]

    def _ack(self, result: Any, request: Request) -> Any:
        token = request.meta.pop(TOKEN_META_KEY, None)
        if token:
            self.queue.ack(token)
        return result

    def _on_tick(self) -> None:
        """Renew the lease, recover dead workers' requests, fetch what others queued, or idle."""
        try:
            now = time.monotonic()
            if now - self._last_beat >= self.fleet.lease_seconds / 3:
                self._last_beat = now
                self.fleet.heartbeat()
                if recovered := self.fleet.recover():
                    self._count("fleet/recovered", recovered)
            # Scrapy polls the scheduler (and re-checks an idle spider) every 5 s; the queue is
            # filled by other workers, so poll it as often as asked (no public "poll now" in 2.19)
            slot = getattr(self.crawler.engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule()
        except Exception:
            logger.exception("fleet tick failed")

    def _on_idle(self) -> None:
        """Stay while the run may still get work; leave once it stayed drained long enough."""
        self.fleet.heartbeat()
        if recovered := self.fleet.recover():
            self._count("fleet/recovered", recovered)
        queued, inflight = self.fleet.pending()
        if queued or inflight:  # others' requests may yield more work
            self._idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.fleet.idle_seconds:
            raise DontCloseSpider

    def _count(self, key: str, count: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, count)
