"""Politeness for the whole fleet: per-domain concurrency and delay held in Redis.

Scrapy's ``CONCURRENT_REQUESTS_PER_DOMAIN`` and ``DOWNLOAD_DELAY`` hold per process; N workers
would hit a small provincial server N times as hard. Before a request goes to the network this
downloader middleware takes one of the domain's ``CONCURRENT_REQUESTS_PER_DOMAIN`` slots in
Redis, at least ``DOWNLOAD_DELAY`` after the fleet's previous request to it started, and gives it
back with the response or the error. Waiting awaits short sleeps, so the reactor never blocks. A
slot is leased like the worker (``NEWSSPIDER_FLEET_LEASE_SECONDS``, renewed while the request is
on the wire), so a killed worker's slots are free again once its lease runs out.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from twisted.internet.task import LoopingCall

from newsspider.fleet.run import Keys, client, enabled, worker_id

__all__ = ["FleetPolitenessMiddleware"]

SLOT_META_KEY = "_fleet_slot"

# 0: the slot is taken; otherwise milliseconds to wait before trying again.
_ACQUIRE = """
local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)
local limit, delay, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return 25 end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if now - last < delay then return delay - (now - last) end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], tostring(now), 'PX', delay + 1000)
return 0
"""

_RENEW = """
local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]))
end
return #KEYS
"""


class FleetPolitenessMiddleware:
    """Hold a fleet-wide per-domain slot for the time a request is on the network."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.server = client(settings["NEWSSPIDER_REDIS_URL"])
        self.prefix = settings.get("NEWSSPIDER_FLEET_PREFIX") or "newsspider"
        self.limit = max(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), 1)
        self.delay_ms = int(settings.getfloat("DOWNLOAD_DELAY") * 1000)
        self.ttl_ms = int(settings.getfloat("NEWSSPIDER_FLEET_LEASE_SECONDS") * 1000)
        self.worker = worker_id(settings)
        self.crawler = crawler
        self._acquire = self.server.register_script(_ACQUIRE)
        self._renew = self.server.register_script(_RENEW)
        self._seq = itertools.count(1)
        self._held: dict[str, str] = {}  # token -> holders key
        self._task = LoopingCall(self._renew_held)
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FleetPolitenessMiddleware:
        if not enabled(crawler.settings):
            raise NotConfigured
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        """Wait for a slot of the request's domain (fleet-wide), then let it go."""
        host = urlsplit(request.url).hostname or ""
        keys = self._keys(host)
        token = f"{self.worker}|{next(self._seq)}"
        waited = False
        while (
            wait_ms := int(self._acquire(keys=keys, args=[self.limit, self.delay_ms, token, self.ttl_ms]))
        ) > 0:
            waited = True
            await asyncio.sleep(min(wait_ms, 250) / 1000 * random.uniform(1.0, 1.2))  # noqa: S311
        request.meta[SLOT_META_KEY] = (keys[0], token)
        self._held[token] = keys[0]
        if waited and self.crawler.stats is not None:
            self.crawler.stats.inc_value("fleet/politeness_waits")

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)

    def _keys(self, host: str) -> list[str]:
        keys = Keys(self.prefix, "")
        return [keys.polite(host, "holders"), keys.polite(host, "last")]

    def _release(self, request: Request) -> None:
        slot: Any = request.meta.pop(SLOT_META_KEY, None)
        if slot:
            holders, token = slot
            self._held.pop(token, None)
            self.server.zrem(holders, token)

    def _renew_held(self) -> None:
        """Extend the lease of the slots held by requests still on the wire."""
        held = dict(self._held)
        if held:
            self._renew(keys=list(held.values()), args=[self.ttl_ms, *held])

    def _opened(self) -> None:
        self._task.start(self.ttl_ms / 3000, now=False)

    def _closed(self) -> None:
        if self._task.running:
            self._task.stop()
