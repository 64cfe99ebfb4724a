"""What the switch ``NEWSSPIDER_REDIS_URL`` changes in a crawl's settings."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from newsspider.fleet.run import enabled

__all__ = ["apply"]

SCHEDULER = "newsspider.fleet.scheduler.FleetScheduler"
DUPEFILTER = "newsspider.fleet.scheduler.FleetDupeFilter"
POLITENESS = "newsspider.fleet.politeness.FleetPolitenessMiddleware"
CLAIM = "newsspider.fleet.pipelines.ExportClaim"


def apply(settings: BaseSettings) -> None:
    """Move scheduler, duplicate filter and politeness to Redis when the switch is on."""
    if not enabled(settings):
        return
    settings.set("SCHEDULER", SCHEDULER, priority="spider")
    settings.set("DUPEFILTER_CLASS", DUPEFILTER, priority="spider")
    settings.set("REDIS_URL", settings["NEWSSPIDER_REDIS_URL"], priority="spider")
    # last before the network (after robots.txt, the blocklist and the HTTP cache): a slot is
    # held only while the request is really on the wire
    _add_component(settings, "DOWNLOADER_MIDDLEWARES", POLITENESS, 950)
    # after DedupePipeline (400), before the database (500) and the feed
    _add_component(settings, "ITEM_PIPELINES", CLAIM, 410)


def _add_component(settings: BaseSettings, name: str, path: str, order: int) -> None:
    """Add a component at the spider's priority (the project's values are applied again later)."""
    components = settings.getdict(name)
    components[path] = order
    settings.set(name, components, priority="spider")
