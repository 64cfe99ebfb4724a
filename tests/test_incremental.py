"""The rules of incremental runs and backfills: date window, refresh, how deep to walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsspider.dates import VN_TZ
from newsspider.incremental import DateWindow, ListingWalk, RefreshPolicy
from newsspider.sites import SiteConfigError
from newsspider.state import Seen


def _at(day: str, hour: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=VN_TZ)


def test_window_is_whole_days_in_vietnam_time() -> None:
    window = DateWindow.parse("2021-01-01", "2021-12-31")
    assert window.contains(_at("2021-01-01"))
    assert window.contains(_at("2021-12-31", 23))
    assert not window.contains(_at("2020-12-31", 23))
    assert not window.contains(_at("2022-01-01"))
    assert not window.contains(datetime(2020, 12, 31, 17, 0, tzinfo=UTC) - timedelta(seconds=1))
    assert window.contains(datetime(2020, 12, 31, 17, 0, tzinfo=UTC))  # 00:00 +07:00
    assert not window.contains(None)
    assert window.before(_at("2020-06-01")) and not window.before(None)
    assert DateWindow.parse(None, None).contains(None)  # no window: everything


@pytest.mark.parametrize(
    ("since", "until"), [("2021-13-01", None), ("yesterday", None), ("2021-05-01", "2021-04-01")]
)
def test_bad_window_is_a_clear_error(since: str, until: str | None) -> None:
    with pytest.raises(SiteConfigError):
        DateWindow.parse(since, until)


def test_refresh_policy() -> None:
    now = datetime(2024, 6, 30, tzinfo=UTC)
    old = Seen("h", "2024-01-01T08:00:00+07:00", None, "2024-01-01T08:00:00+07:00")
    recent = Seen("h", "2024-06-20T08:00:00+07:00", None, None)
    assert not RefreshPolicy.parse(None).wants(old, None, now)
    assert RefreshPolicy.parse(None).wants(old, _at("2024-03-01"), now)  # a newer sitemap lastmod
    assert not RefreshPolicy.parse(None).wants(old, _at("2024-01-01", 8), now)  # the same lastmod
    assert RefreshPolicy.parse("all").wants(old, None, now)
    assert RefreshPolicy.parse("30d").wants(recent, None, now)
    assert not RefreshPolicy.parse("30d").wants(old, None, now)
    with pytest.raises(SiteConfigError):
        RefreshPolicy.parse("sometimes")


def test_incremental_walk_stops_at_a_page_of_known_articles() -> None:
    assert ListingWalk.incremental_next(["p2"], ["a", "b"], known={"a"}) == ["p2"]
    assert ListingWalk.incremental_next(["p2"], ["a", "b"], known={"a", "b"}) == []


def test_backfill_walk_waits_for_dates_then_stops_below_since() -> None:
    walk = ListingWalk(DateWindow.parse("2021-01-01", None))
    assert walk.page("p1", ["p2"], {}, {"a", "b"}) == []  # undecided until a and b are dated
    assert walk.dated("a", _at("2020-05-01")) == []
    assert walk.dated("b", _at("2021-02-01")) == ["p2"]  # b is in the window: walk on
    assert walk.page("p2", ["p3"], {"c": _at("2020-12-31")}, set()) == []  # all older: stop


def test_backfill_walk_goes_on_when_a_date_is_unknown_or_never_comes() -> None:
    walk = ListingWalk(DateWindow.parse("2021-01-01", None))
    assert walk.page("p1", ["p2"], {"a": _at("2019-01-01")}, {"b"}) == []
    assert walk.dated("b", None) == ["p2"]  # the article failed: no date, so keep walking
    assert walk.page("p3", ["p4"], {}, {"c"}) == []
    assert walk.release_all() == ["p4"]  # the crawl went idle with c never answered
