"""Fleet runs in Redis: which sites are being crawled, by which workers, under which leases.

``newsspider enqueue`` starts a *run* of a site: its spec, a run id, the seeds in the site's
request queue, the site in the set of active sites. A worker joins an active run (the one with
the fewest live workers), heartbeats a lease while it works, and leaves when the queue stays
drained. Requests popped by a worker whose lease expired go back into the queue; the last worker
to leave a drained run ends it. Times are the Redis server's (``TIME``), so the clocks of the
workers' machines do not matter.

Keys, under ``NEWSSPIDER_FLEET_PREFIX`` (default ``newsspider``)::

    <p>:sites                           SET   active site names
    <p>:site:<site>                     HASH  spec (JSON), run, started_at, finished_at
    <p>:site:<site>:requests            ZSET  the shared request queue (scrapy-redis PriorityQueue)
    <p>:site:<site>:inflight            HASH  "<worker>|<seq>|<score>" -> request popped, not done
    <p>:site:<site>:workers             ZSET  worker -> lease deadline (ms)
    <p>:site:<site>:run:<run>:dupefilter|requested|claims   per run, expire after the run TTL
    <p>:seen:<site>[:urls|:runs]        the seen-store (newsspider.fleet.store)
    <p>:polite:<host>:holders|last      fleet-wide politeness (newsspider.fleet.politeness)
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from newsspider.feeds import run_timestamp
from newsspider.sites import Site, SiteConfigError, load_sites, make_site, site_name_for_url

if TYPE_CHECKING:
    from newsspider.fleet.store import RedisSeenStore

__all__ = [
    "FleetRun",
    "Keys",
    "NoActiveSite",
    "client",
    "enabled",
    "enqueue",
    "finish_run",
    "join",
    "resolve_seed",
]

logger = logging.getLogger(__name__)

# Milliseconds of the Redis server clock, for every script below.
_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

_START_RUN = (
    _NOW
    + """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  return redis.call('HGET', KEYS[2], 'run')
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'spec', ARGV[2], 'run', ARGV[3], 'started_at', tostring(now))
for i = 4, #ARGV do redis.call('ZADD', KEYS[3], 0, ARGV[i]) end
redis.call('SADD', KEYS[1], ARGV[1])
return ARGV[3]
"""
)

_HEARTBEAT = _NOW + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) return now"

_LIVE_WORKERS = _NOW + "return redis.call('ZCOUNT', KEYS[1], '(' .. now, '+inf')"

_DEAD_WORKERS = _NOW + "return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)"

# Put a worker's in-flight requests back into the queue: a dead one's (its lease expired and was
# not renewed meanwhile), or with ARGV[2] == '1' one's own on leaving.
_REQUEUE = (
    _NOW
    + """
if ARGV[2] ~= '1' then
  local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if deadline and tonumber(deadline) > now then return -1 end
end
redis.call('ZREM', KEYS[1], ARGV[1])
local prefix = ARGV[1] .. '|'
local all = redis.call('HGETALL', KEYS[2])
local moved = 0
for i = 1, #all, 2 do
  local token = all[i]
  if string.sub(token, 1, #prefix) == prefix then
    redis.call('ZADD', KEYS[3], string.match(token, '|([^|]*)$'), all[i + 1])
    redis.call('HDEL', KEYS[2], token)
    moved = moved + 1
  end
end
return moved
"""
)

# End a run whose queue is empty, with nothing in flight and no live worker.
_FINISH = (
    _NOW
    + """
if redis.call('ZCARD', KEYS[3]) > 0 or redis.call('HLEN', KEYS[4]) > 0 then return 0 end
if redis.call('ZCOUNT', KEYS[5], '(' .. now, '+inf') > 0 then return 0 end
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'finished_at', tostring(now))
redis.call('DEL', KEYS[5])
return 1
"""
)

# Claim an article id for export in this run: free, already ours, or held by a dead worker.
_CLAIM = (
    _NOW
    + """
local holder = redis.call('HGET', KEYS[1], ARGV[1])
if holder and holder ~= ARGV[2] then
  local deadline = redis.call('ZSCORE', KEYS[2], holder)
  if deadline and tonumber(deadline) > now then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""
)


class NoActiveSite(RuntimeError):
    """No site was being crawled by the fleet within the worker's idle time."""


def enabled(settings: BaseSettings) -> bool:
    """Return True when ``NEWSSPIDER_REDIS_URL`` puts the crawl in fleet mode."""
    return bool(settings.get("NEWSSPIDER_REDIS_URL"))


def client(url: str) -> redis.Redis:
    """Return a Redis client for ``url`` (bytes replies: queued requests are pickles)."""
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, retry_on_timeout=True)


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one site (and of one run of it)."""

    prefix: str
    site: str
    run: str = ""

    @property
    def active(self) -> str:
        return f"{self.prefix}:sites"

    @property
    def spec(self) -> str:
        return f"{self.prefix}:site:{self.site}"

    @property
    def queue(self) -> str:
        return f"{self.spec}:requests"

    @property
    def inflight(self) -> str:
        return f"{self.spec}:inflight"

    @property
    def workers(self) -> str:
        return f"{self.spec}:workers"

    def of_run(self, name: str) -> str:
        """Return a per-run key: ``dupefilter``, ``requested`` or ``claims``."""
        return f"{self.spec}:run:{self.run}:{name}"

    @property
    def seen(self) -> str:
        return f"{self.prefix}:seen:{self.site}"

    def polite(self, host: str, name: str) -> str:
        return f"{self.prefix}:polite:{host}:{name}"


def resolve_seed(seed: str, sites_file: str | None = None, family: str | None = None) -> Site:
    """Return the site a seed names: a site of sites.toml, or a portal's root URL."""
    overrides = {"family": family} if family else {}
    if seed.startswith(("http://", "https://")):
        return make_site(site_name_for_url(seed), {"url": seed} | overrides)
    sites = load_sites(sites_file)
    if seed not in sites:
        raise SiteConfigError(f"no site named {seed!r}; configured: {', '.join(sorted(sites))}")
    return make_site(seed, sites[seed].entry() | overrides) if overrides else sites[seed]


def seeds(site: Site) -> list[str]:
    """Return the JSON seed requests of a run: the root, then the site's extra listings."""
    meta = {"site": site.name}
    root = {"url": site.url, "callback": "parse_root", "dont_filter": True, "meta": meta}
    pages = [{"url": page, "callback": "parse_listing", "meta": meta} for page in site.start_pages]
    return [json.dumps(seed, ensure_ascii=False) for seed in (root, *pages)]


def enqueue(
    server: redis.Redis, sites: Iterable[Site], prefix: str = "newsspider"
) -> list[tuple[Site, str, bool]]:
    """Start a fleet run of each site; return ``(site, run id, started)``, ``started`` False
    when the site's run was already active (it is then left as it is)."""
    script = server.register_script(_START_RUN)
    started = []
    for site in sites:
        keys = Keys(prefix, site.name)
        run = run_timestamp()
        spec = json.dumps(site.entry(), ensure_ascii=False)
        active = script(keys=[keys.active, keys.spec, keys.queue], args=[site.name, spec, run, *seeds(site)])
        active_run = active.decode() if isinstance(active, bytes) else str(active)
        started.append((site, active_run, active_run == run))
    return started


def worker_id(settings: BaseSettings) -> str:
    """Return this worker's id: ``NEWSSPIDER_FLEET_WORKER``, else ``<host>-<pid>``."""
    raw = settings.get("NEWSSPIDER_FLEET_WORKER") or f"{socket.gethostname()}-{os.getpid()}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(raw))[:80]


@dataclass
class FleetRun:
    """The run of a site this worker joined: its keys, and what workers do with them."""

    server: redis.Redis
    keys: Keys
    site: Site
    worker: str
    lease_seconds: float = 60.0
    idle_seconds: float = 60.0
    run_ttl: int = 7 * 86400
    _scripts: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def run(self) -> str:
        return self.keys.run

    @property
    def run_ts(self) -> str:
        """The spider's ``run_ts``: the run id and the worker, so feed files never collide."""
        return f"{self.run}-{self.worker}"

    def _script(self, source: str) -> Any:
        if source not in self._scripts:
            self._scripts[source] = self.server.register_script(source)
        return self._scripts[source]

    def heartbeat(self) -> None:
        """Renew this worker's lease."""
        self._script(_HEARTBEAT)(keys=[self.keys.workers], args=[self.worker, int(self.lease_seconds * 1000)])

    def recover(self) -> int:
        """Put the in-flight requests of dead workers back into the queue; return how many."""
        dead = self._script(_DEAD_WORKERS)(keys=[self.keys.workers])
        moved = 0
        for worker in dead:
            name = worker.decode() if isinstance(worker, bytes) else str(worker)
            if name == self.worker:
                continue
            count = int(self._requeue(name, force=False))
            if count > 0:
                logger.warning(
                    "%s: %d in-flight requests of dead worker %s re-queued", self.site.name, count, name
                )
                moved += count
        return moved

    def _requeue(self, worker: str, *, force: bool) -> int:
        keys = [self.keys.workers, self.keys.inflight, self.keys.queue]
        return int(self._script(_REQUEUE)(keys=keys, args=[worker, "1" if force else "0"]))

    def pending(self) -> tuple[int, int]:
        """Return the requests queued and in flight (at any worker)."""
        return _pending(self.server, self.keys)

    def claim_request(self, article_id: str) -> bool:
        """Return True when this worker is the first of the run to ask for ``article_id``."""
        key = self.keys.of_run("requested")
        pipe = self.server.pipeline(transaction=False)
        pipe.sadd(key, article_id)
        pipe.expire(key, self.run_ttl)
        added, _ = pipe.execute()
        return bool(added)

    def claim_export(self, article_id: str) -> bool:
        """Return True when this worker may export ``article_id`` in this run (and claim it)."""
        keys = [self.keys.of_run("claims"), self.keys.workers]
        return bool(self._script(_CLAIM)(keys=keys, args=[article_id, self.worker, self.run_ttl]))

    def leave(self) -> int:
        """Leave the run: requests still in flight here go back to the queue; end a drained run.

        Return the requests put back.
        """
        moved = self._requeue(self.worker, force=True)
        if moved:
            logger.warning("%s: %d unfinished requests of this worker re-queued", self.site.name, moved)
        self.finish()
        return moved

    def finish(self) -> bool:
        """End the run if it is drained and no live worker is on it; return True if ended."""
        return finish_run(self.server, self.keys)

    def seen_store(self) -> RedisSeenStore:
        """Return the site's seen-store in Redis."""
        from newsspider.fleet.store import RedisSeenStore

        return RedisSeenStore(self.server, self.keys, self.worker, self.is_live)

    def is_live(self, worker: str) -> bool:
        """Return True while ``worker`` holds an unexpired lease on this run's site."""
        deadline = self.server.zscore(self.keys.workers, worker)
        now_s, now_us = self.server.time()
        return deadline is not None and deadline > now_s * 1000 + now_us // 1000


def finish_run(server: redis.Redis, keys: Keys) -> bool:
    """End a site's run if it is drained and no live worker is on it; return True if ended."""
    names = [keys.active, keys.spec, keys.queue, keys.inflight, keys.workers]
    ended = bool(server.register_script(_FINISH)(keys=names, args=[keys.site]))
    if ended:
        logger.info("%s: fleet run finished", keys.site)
    return ended


def join(crawler: Crawler, site: str | None = None, url: str | None = None, family: str | None = None,
         sites_file: str | None = None) -> FleetRun:  # fmt: skip
    """Join a fleet run for this worker and register its lease.

    With ``-a site``/``-a url`` that site's run (started if it is not active); otherwise the active
    run with the fewest live workers, waiting up to ``NEWSSPIDER_FLEET_IDLE_SECONDS`` for one.
    """
    settings = crawler.settings
    server = client(settings["NEWSSPIDER_REDIS_URL"])
    prefix = settings.get("NEWSSPIDER_FLEET_PREFIX") or "newsspider"
    idle = settings.getfloat("NEWSSPIDER_FLEET_IDLE_SECONDS")
    if site or url:
        chosen = resolve_seed(site or url or "", sites_file, family)
        enqueue(server, [chosen], prefix)
        name = chosen.name
    else:
        name = _wait_for_site(server, prefix, idle)
    keys = Keys(prefix, name)
    spec, run = server.hmget(keys.spec, ["spec", "run"])
    if spec is None or run is None:
        raise NoActiveSite(f"the fleet run of {name} ended before this worker could join it")
    fleet = FleetRun(
        server, Keys(prefix, name, _text(run)), make_site(name, json.loads(spec), origin="fleet run"),
        worker_id(settings), lease_seconds=settings.getfloat("NEWSSPIDER_FLEET_LEASE_SECONDS"),
        idle_seconds=idle, run_ttl=int(settings.getfloat("NEWSSPIDER_FLEET_RUN_TTL")),
    )  # fmt: skip
    fleet.heartbeat()
    logger.info("worker %s joined the fleet run %s of %s", fleet.worker, fleet.run, name)
    return fleet


def _pending(server: redis.Redis, keys: Keys) -> tuple[int, int]:
    pipe = server.pipeline(transaction=False)
    pipe.zcard(keys.queue)
    pipe.hlen(keys.inflight)
    queued, inflight = pipe.execute()
    return int(queued), int(inflight)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _wait_for_site(server: redis.Redis, prefix: str, idle: float) -> str:
    """Return the active site with work and the fewest live workers; wait up to ``idle`` s."""
    deadline = time.monotonic() + idle
    while True:
        best: tuple[int, int, str] | None = None
        for raw in sorted(server.smembers(f"{prefix}:sites")):
            name = _text(raw)
            keys = Keys(prefix, name)
            queued, inflight = _pending(server, keys)
            live = int(server.register_script(_LIVE_WORKERS)(keys=[keys.workers]))
            if queued + inflight == 0:  # drained: nothing more can come (it ends with its workers)
                if live == 0:
                    finish_run(server, keys)
                continue
            if best is None or (live, -queued, name) < best:
                best = (live, -queued, name)
        if best is not None:
            return best[2]
        if time.monotonic() >= deadline:
            raise NoActiveSite(f"no site to crawl in the fleet within {idle:g} s (newsspider enqueue SITE)")
        time.sleep(min(0.5, max(deadline - time.monotonic(), 0.01)))
