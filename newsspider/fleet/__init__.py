"""A fleet of ``scrapy crawl portal`` workers sharing one frontier in Redis (docs/fleet.md).

One switch, ``NEWSSPIDER_REDIS_URL``, moves the scheduler, the duplicate filter, the seen-store
and politeness to Redis. ``newsspider enqueue`` starts a run of a site; workers join active
runs, share their request queue through scrapy-redis, and leave when it stays drained.

Every scrapy-redis workaround for Scrapy 2.19 lives in this package:

- :mod:`newsspider.fleet.scheduler`: a reliable queue (popped requests stay in flight under a
  worker lease until processed), JSON seeds decoded into plain requests, a duplicate filter per
  site *and run*, no deprecated ``spider=`` calls;
- :mod:`newsspider.fleet.politeness`: per-domain concurrency and delay for the whole fleet;
- :mod:`newsspider.fleet.store`: the incremental seen-store in Redis;
- :mod:`newsspider.fleet.pipelines`: one export per article per run, fleet-wide, and the UTF-8
  item serializer for scrapy-redis's ``RedisPipeline``.
"""

from __future__ import annotations

from newsspider.fleet.run import FleetRun, NoActiveSite, enabled, enqueue, join

__all__ = ["FleetRun", "NoActiveSite", "enabled", "enqueue", "join"]
