from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsspider.dates import (
    VN_TZ,
    parse_date,
    parse_nukeviet_meta_time,
    to_iso,
    tz_from_offset_hours,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # NukeViet detail header `l - d/m/Y H:i`
        ("Thứ hai - 24/08/2020 00:08", "2020-08-24T00:08:00+07:00"),
        # NukeViet 4.5 listings `d/m/Y H:i:s`
        ("24/08/2020 00:08:00", "2020-08-24T00:08:00+07:00"),
        # NukeViet <= 4.4 listings `d/m/Y h:i:s A`: 12 AM is midnight, 12 PM is noon
        ("24/08/2020 12:08:00 AM", "2020-08-24T00:08:00+07:00"),
        ("24/08/2020 12:30:00 PM", "2020-08-24T12:30:00+07:00"),
        ("24/08/2020 01:15:00 PM", "2020-08-24T13:15:00+07:00"),
        ("24/08/2020 11:59:59 am", "2020-08-24T11:59:59+07:00"),
        # SA = sáng (AM), CH = chiều (PM)
        ("24/08/2020 8:15 SA", "2020-08-24T08:15:00+07:00"),
        ("24/08/2020 8:15 CH", "2020-08-24T20:15:00+07:00"),
        ("24/08/2020 12:05 SA", "2020-08-24T00:05:00+07:00"),
        ("24/08/2020 - 8:15 PM", "2020-08-24T20:15:00+07:00"),
        # Date only; 1- and 2-digit day/month, DMY order
        ("20/8/2020", "2020-08-20T00:00:00+07:00"),
        ("1/3/2020", "2020-03-01T00:00:00+07:00"),
        ("05/06/2020", "2020-06-05T00:00:00+07:00"),
        # Other separators
        ("24-08-2020 08:15", "2020-08-24T08:15:00+07:00"),
        ("24.08.2020", "2020-08-24T00:00:00+07:00"),
        # Weekday prefixes
        ("Thứ Hai, 24/08/2020 - 00:08", "2020-08-24T00:08:00+07:00"),
        ("Chủ nhật, 1/3/2020, 14:05 (GMT+7)", "2020-03-01T14:05:00+07:00"),
        ("Thứ sáu, 05/06/2020 (GMT+7)", "2020-06-05T00:00:00+07:00"),
        ("Thứ 2, 24/8/2020", "2020-08-24T00:00:00+07:00"),
        ("T2, 24/08/2020", "2020-08-24T00:00:00+07:00"),
        ("Thứ Năm, 12/11/2020, 7:00 (GMT+7)", "2020-11-12T07:00:00+07:00"),
        ("Thứ Ba, 08/09/2020 | 15:30", "2020-09-08T15:30:00+07:00"),
        # Labels
        ("Cập nhật: 08:15, 24/08/2020", "2020-08-24T08:15:00+07:00"),
        ("Ngày đăng: 24/08/2020", "2020-08-24T00:00:00+07:00"),
        ("Ngày xuất bản: 24/08/2020 08:15", "2020-08-24T08:15:00+07:00"),
        ("Đăng lúc: 08:15 - 24/08/2020", "2020-08-24T08:15:00+07:00"),
        ("Ngày: 24/08/2020", "2020-08-24T00:00:00+07:00"),
        ("Cập nhật ngày: 24/08/2020 - 08:15:26", "2020-08-24T08:15:26+07:00"),
        ("Cập nhật lúc 08:15 ngày 24/08/2020", "2020-08-24T08:15:00+07:00"),
        ("24/08/2020 | 08:15", "2020-08-24T08:15:00+07:00"),
        # (GMT+07:00) must not be read as the time 07:00, nor as -07:00
        ("24/08/2020 (GMT+07:00)", "2020-08-24T00:00:00+07:00"),
        # Time before date (NukeViet topic pages `H:i d/m/Y`)
        ("14:05 24/08/2020", "2020-08-24T14:05:00+07:00"),
        # "14h05", "14 giờ 05 phút" (dateparser reads the latter as "14 hours ago")
        ("14h05 ngày 1/3/2020", "2020-03-01T14:05:00+07:00"),
        ("14 giờ 05 phút, ngày 01/03/2020", "2020-03-01T14:05:00+07:00"),
        ("14 giờ 05 phút 30 giây, ngày 01/03/2020", "2020-03-01T14:05:30+07:00"),
        # Textual "ngày … tháng … năm …"
        ("ngày 24 tháng 8 năm 2020", "2020-08-24T00:00:00+07:00"),
        ("Ngày 24 Tháng 08 năm 2020", "2020-08-24T00:00:00+07:00"),
        ("24 tháng 8, 2020", "2020-08-24T00:00:00+07:00"),
        ("21 tháng 09 năm 2025", "2025-09-21T00:00:00+07:00"),
        # ISO 8601: its own offset wins; naive ISO is read in tz
        ("2020-08-24T00:08:00+07:00", "2020-08-24T00:08:00+07:00"),
        ("2020-08-23T17:08:00Z", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24T00:08:00+0700", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24 00:08", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24", "2020-08-24T00:00:00+07:00"),
        # NukeViet's malformed article:published_time
        ("2020-08-24+0700:08:00", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24ICT00:08:00", "2020-08-24T00:08:00+07:00"),
        # Decomposed (NFD) input and NBSPs as scraped
        ("Th\u1ee9 hai -\u00a024/08/2020\u00a000:08", "2020-08-24T00:08:00+07:00"),
        ("Thu\u031b\u0301 hai - 24/08/2020 00:08", "2020-08-24T00:08:00+07:00"),
        # Textual month, left to dateparser
        ("Tháng Tám 24, 2020", "2020-08-24T00:00:00+07:00"),
    ],
)
def test_parse_date(raw: str, expected: str) -> None:
    dt = parse_date(raw)
    assert dt is not None
    assert dt.tzinfo is not None
    assert to_iso(dt) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "không có ngày",
        "Tin mới nhất",
        "abc/def/ghij",
        "2",
        "14:05",
        "24/08",
        "31/02/2020",
        "24/13/2020",
        "00/08/2020",
        "2020-02-31",
        "2020-02-31T00:00:00+07:00",
        "2020-13-01+0700:08:00",
        "Số 123/2020/QĐ-UBND",
    ],
)
def test_parse_date_rejects(raw: str) -> None:
    assert parse_date(raw) is None


def test_wall_time_is_read_in_page_zone() -> None:
    # A NukeViet page served with nv_my_ofs=0 prints UTC wall times.
    dt = parse_date("Thứ hai - 24/08/2020 00:08", tz=UTC)
    assert dt == datetime(2020, 8, 24, 0, 8, tzinfo=UTC)
    assert to_iso(dt) == "2020-08-24T07:08:00+07:00"


def test_gmt_suffix_never_gives_negative_offset() -> None:
    dt = parse_date("Thứ sáu, 6/8/2021, 01:08 (GMT+7)")
    assert dt is not None
    assert dt.utcoffset() == timedelta(hours=7)
    assert to_iso(dt) == "2021-08-06T01:08:00+07:00"


def test_iso_offset_beats_tz_argument() -> None:
    dt = parse_date("2020-08-24T00:08:00+07:00", tz=UTC)
    assert to_iso(dt) == "2020-08-24T00:08:00+07:00"


def test_zoneinfo_tz_is_accepted() -> None:
    dt = parse_date("24/08/2020 00:08", tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert to_iso(dt) == "2020-08-24T00:08:00+07:00"


def test_relative_dates_fall_back_to_dateparser() -> None:
    now = datetime.now(VN_TZ)
    two_hours_ago = parse_date("2 giờ trước")
    assert two_hours_ago is not None
    assert abs(now - timedelta(hours=2) - two_hours_ago) < timedelta(minutes=5)
    yesterday = parse_date("hôm qua")
    assert yesterday is not None
    assert yesterday.date() == (now - timedelta(days=1)).date()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020-08-24+0700:08:00", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24ICT00:08:00", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24+07:0000:08:00", "2020-08-24T00:08:00+07:00"),
        ("2020-08-24UTC00:08:00", "2020-08-24T07:08:00+07:00"),
        ("2020-08-24GMT00:08:00", "2020-08-24T07:08:00+07:00"),
        (" 2020-08-24+0700:08:00 ", "2020-08-24T00:08:00+07:00"),
    ],
)
def test_parse_nukeviet_meta_time(raw: str, expected: str) -> None:
    dt = parse_nukeviet_meta_time(raw)
    assert dt is not None
    assert to_iso(dt) == expected


def test_nukeviet_meta_time_keeps_its_offset() -> None:
    dt = parse_nukeviet_meta_time("2020-08-24+0700:08:00")
    assert dt is not None
    assert dt.isoformat() == "2020-08-24T00:08:00+07:00"


@pytest.mark.parametrize("raw", ["2020-08-24XYZ00:08:00", "2020-08-24T00:08:00", "24/08/2020 00:08", "", "x"])
def test_parse_nukeviet_meta_time_rejects(raw: str) -> None:
    assert parse_nukeviet_meta_time(raw) is None


@pytest.mark.parametrize(
    ("hours", "offset"),
    [
        (7, timedelta(hours=7)),
        (7.0, timedelta(hours=7)),
        (5.5, timedelta(hours=5, minutes=30)),
        (-3, timedelta(hours=-3)),
        (0, timedelta(0)),
    ],
)
def test_tz_from_offset_hours(hours: float, offset: timedelta) -> None:
    assert tz_from_offset_hours(hours).utcoffset(None) == offset


def test_tz_from_offset_hours_equals_vn_tz() -> None:
    assert tz_from_offset_hours(7) == VN_TZ


def test_to_iso() -> None:
    assert to_iso(datetime(2020, 8, 23, 17, 8, tzinfo=UTC)) == "2020-08-24T00:08:00+07:00"
    assert to_iso(datetime(2020, 8, 24, 0, 8, 0, 999)) == "2020-08-24T00:08:00+07:00"
    assert to_iso(datetime(2020, 8, 24, tzinfo=VN_TZ), UTC) == "2020-08-23T17:00:00+00:00"
    assert to_iso(datetime(2020, 8, 24, tzinfo=VN_TZ), tz_from_offset_hours(5.5)) == (
        "2020-08-23T22:30:00+05:30"
    )


@settings(deadline=None)  # the first dateparser call loads its language data
@given(st.text(max_size=120))
def test_parse_date_never_raises(raw: str) -> None:
    dt = parse_date(raw)
    assert dt is None or dt.tzinfo is not None


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789/.-: hHgiờphútSACMPTZ+ICT"), max_size=40))
def test_parse_date_never_raises_on_date_like_text(raw: str) -> None:
    dt = parse_date(raw)
    assert dt is None or dt.tzinfo is not None
