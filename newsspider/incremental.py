"""The rules of incremental runs and backfills, kept out of the spider's routing.

- :class:`DateWindow`: ``-a since=YYYY-MM-DD [-a until=YYYY-MM-DD]`` in Vietnam time.
- :class:`RefreshPolicy`: when a known article is fetched again.
- :class:`ListingWalk`: how deep to walk a category listing. An incremental run stops at the
  first page whose articles are all known; a backfill stops at the first page whose articles
  are all older than ``since``, which it can tell only once those articles' dates are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from newsspider.dates import VN_TZ, parse_iso
from newsspider.sites import SiteConfigError
from newsspider.state import Seen

__all__ = ["DateWindow", "ListingWalk", "RefreshPolicy"]

_DAYS = re.compile(r"^(\d{1,5})d$")


@dataclass(frozen=True)
class DateWindow:
    """Publication dates to export: ``since`` 00:00 inclusive to the end of ``until`` (+07:00)."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive: midnight after the ``until`` day

    @classmethod
    def parse(cls, since: str | None, until: str | None) -> DateWindow:
        start = _day(since, "since")
        end = _day(until, "until")
        if start and end and end <= start:
            raise SiteConfigError(f"until={until} is before since={since}")
        return cls(start, end)

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None

    def contains(self, moment: datetime | None) -> bool:
        """Return True when ``moment`` is inside the window (an unknown moment is not)."""
        if not self.active:
            return True
        if moment is None:
            return False
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)

    def before(self, moment: datetime | None) -> bool:
        """Return True when ``moment`` is known to be older than the window."""
        return moment is not None and self.since is not None and moment < self.since


@dataclass(frozen=True)
class RefreshPolicy:
    """``-a refresh=all`` fetches every known article again; ``-a refresh=30d`` those of 30 days."""

    everything: bool = False
    days: int | None = None

    @classmethod
    def parse(cls, value: str | None) -> RefreshPolicy:
        if not value:
            return cls()
        if value == "all":
            return cls(everything=True)
        if match := _DAYS.match(value):
            return cls(days=int(match.group(1)))
        raise SiteConfigError(f"refresh={value!r}: use 'all' or a number of days such as '30d'")

    def wants(self, seen: Seen, lastmod: datetime | None, now: datetime) -> bool:
        """Return True when a known article must be fetched again."""
        changed = seen.latest_change()
        if lastmod is not None and (changed is None or lastmod > changed):
            return True  # the sitemap says it changed after we exported it
        if self.everything:
            return True
        published = parse_iso(seen.published_at)
        return (
            self.days is not None and published is not None and now - published <= timedelta(days=self.days)
        )


@dataclass
class _Page:
    next_urls: list[str]
    waiting: set[str] = field(default_factory=set)
    newest: datetime | None = None
    undated: bool = False


class ListingWalk:
    """Decide, page by page, whether a listing's next pages are worth fetching."""

    def __init__(self, window: DateWindow) -> None:
        self.window = window
        self._pages: dict[str, _Page] = {}
        self._waiters: dict[str, list[str]] = {}  # article id -> listing pages waiting for its date
        self._dates: dict[str, datetime | None] = {}  # publication date of articles seen this run

    @staticmethod
    def incremental_next(next_urls: list[str], article_ids: Iterable[str], known: set[str]) -> list[str]:
        """Incremental run: walk on unless every article of the page is already known."""
        ids = set(article_ids)
        return next_urls if not ids or not ids <= known else []

    def page(
        self, url: str, next_urls: list[str], dated: dict[str, datetime | None], waiting: set[str]
    ) -> list[str]:
        """Backfill: register a listing page; return its next pages if already decidable."""
        state = _Page(next_urls)
        for moment in dated.values():
            self._note(state, moment)
        for article_id in waiting:
            if article_id in self._dates:
                self._note(state, self._dates[article_id])
            else:
                state.waiting.add(article_id)
                self._waiters.setdefault(article_id, []).append(url)
        if state.waiting:
            self._pages[url] = state
            return []
        return self._decide(state)

    def dated(self, article_id: str, moment: datetime | None) -> list[str]:
        """Backfill: an article's date is known (None: unknown); return next pages now decidable."""
        self._dates[article_id] = moment
        ready = []
        for url in self._waiters.pop(article_id, []):
            state = self._pages[url]
            self._note(state, moment)
            state.waiting.discard(article_id)
            if not state.waiting:
                del self._pages[url]
                ready.extend(self._decide(state))
        return ready

    def release_all(self) -> list[str]:
        """Give up waiting (the crawl went idle): walk on from every page still undecided."""
        ready = []
        for state in self._pages.values():
            state.undated = state.undated or bool(state.waiting)
            ready.extend(self._decide(state))
        self._pages.clear()
        self._waiters.clear()
        return ready

    def _note(self, state: _Page, moment: datetime | None) -> None:
        if moment is None:
            state.undated = True
        elif state.newest is None or moment > state.newest:
            state.newest = moment

    def _decide(self, state: _Page) -> list[str]:
        older_than_window = not state.undated and self.window.before(state.newest)
        return [] if older_than_window else state.next_urls


def _day(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise SiteConfigError(f"{name}={value!r} is not a date YYYY-MM-DD") from None
    start = datetime.combine(day, time(0), VN_TZ)
    return start + timedelta(days=1) if name == "until" else start
