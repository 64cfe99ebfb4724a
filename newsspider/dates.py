"""The one Vietnamese date parser shared by all site families.

Numeric forms (``d/m/Y``, ``H:M``, ``14h05``, ``14 giờ 05 phút``, SA/CH) are read by
regex: it is ~400x faster than dateparser and right where dateparser is silently
wrong (``14 giờ 05 phút, ngày 01/03/2020`` is "14 hours ago" to it).  dateparser is
only the fallback for words (``Tháng Tám 24, 2020``, ``2 giờ trước``, ``hôm qua``).
Wall times are read in the zone the page says it uses (NukeViet's ``nv_my_ofs``),
which is not always +07:00: NukeViet picks the zone from the visitor's country.
"""

import re
from datetime import datetime, timedelta, timezone, tzinfo

from newsspider.text.normalize import normalize_inline

VN_TZ = timezone(timedelta(hours=7))  # Vietnam: UTC+7 all year, no DST

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
_NV_META = re.compile(r"^(\d{4}-\d{2}-\d{2})(.+?)(\d{2}:\d{2}:\d{2})$")
_NUMERIC_ZONE = re.compile(r"([+-])(\d{2}):?(\d{2})?")
_NAMED_ZONES = {"ICT": 7, "UTC": 0, "GMT": 0}
# Same separator twice (backreference) so "1.5-2020" and the like stay unmatched.
_DATE = re.compile(
    r"(?<!\d)(?:(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"|(?P<y2>\d{4})(?P<sep2>[/.-])(?P<m2>\d{1,2})(?P=sep2)(?P<d2>\d{1,2})"
    r"|(?P<d3>\d{1,2})\s+tháng\s+(?P<m3>\d{1,2})(?:\s*,\s*|\s+năm\s+|\s+)(?P<y3>\d{4})"
    r")(?!\d)",
    re.IGNORECASE,
)
# "14:05[:26]", "14h05", "14 giờ 05 phút [26 giây]", then an optional AM/PM or the
# Vietnamese SA (sáng, morning) / CH (chiều, afternoon) that NukeViet never translates.
_TIME = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])\s*(?::|h|giờ)\s*(?P<mi>[0-5]\d)(?!\d)"
    r"(?:\s*(?::|phút)\s*(?P<s>[0-5]\d)(?!\d))?(?:\s*(?:phút|giây))?"
    r"(?:\s*(?P<ap>[AP]\.?M\.?|SA|CH)\b)?",
    re.IGNORECASE,
)
# "(GMT+7)" only restates the zone; removed so its "+07:00" is never read as a time.
_ZONE_LABEL = re.compile(r"\(?\b(?:GMT|UTC)\s*[+-]\s*\d{1,2}(?::?\d{2})?\)?", re.IGNORECASE)
# Noise dateparser chokes on: labels, weekday names, "|" and " - " separators.
_NOISE = re.compile(
    r"^(?:cập nhật(?: lúc| ngày)?|ngày đăng|ngày xuất bản|đăng lúc|đăng ngày|ngày|lúc)\s*:"
    r"|\b(?:thứ (?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ nhật|t[2-7]|cn)\b\s*[,|]?"
    r"|\s[|\-–]\s",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(?:trước|sau)\b", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_MAX_FALLBACK_LEN = 100  # a date field, not an article: keep dateparser's cost bounded


def tz_from_offset_hours(hours: float) -> timezone:
    """Zone for NukeViet's ``nv_my_ofs`` (hours east of UTC; may be 5.5 or negative)."""
    return timezone(timedelta(minutes=round(hours * 60)))


def parse_iso(value: str | None, *, date_only_tz: tzinfo | None = None) -> datetime | None:
    """Return an ISO 8601 value with an offset as an aware datetime, else None.

    Machine-written values only (sitemaps, microdata, our own records): no guessing. A bare date
    (``2024-06-24``, valid in sitemaps) is midnight in ``date_only_tz`` when one is given.
    """
    text = (value or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=date_only_tz) if date_only_tz and len(text) == 10 else None
    return moment


def to_iso(dt: datetime, tz: tzinfo = VN_TZ) -> str:
    """``dt`` in ``tz`` as ISO 8601 with seconds and offset; naive ``dt`` is taken as ``tz``."""
    dt = dt.replace(tzinfo=tz) if dt.tzinfo is None else dt.astimezone(tz)
    return dt.isoformat(timespec="seconds")


def parse_nukeviet_meta_time(raw: str) -> datetime | None:
    """Repair NukeViet's ``article:published_time``.

    It is PHP ``date('Y-m-dTH:i:s')``, where ``T`` is the zone *abbreviation*:
    ``2020-08-24+0700:08:00`` (modern tzdata says ``+07``) or ``2020-08-24ICT00:08:00``.
    Unknown abbreviations give None rather than a guess.
    """
    match = _NV_META.match(raw.strip())
    if not match:
        return None
    day, zone, clock = match.groups()
    numeric = _NUMERIC_ZONE.fullmatch(zone)
    if numeric:
        sign, hh, mm = numeric.groups()
        offset = timedelta(hours=int(hh), minutes=int(mm or 0)) * (-1 if sign == "-" else 1)
    elif zone.upper() in _NAMED_ZONES:
        offset = timedelta(hours=_NAMED_ZONES[zone.upper()])
    else:
        return None
    try:
        return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=timezone(offset))
    except ValueError:
        return None


def parse_date(raw: str, *, tz: tzinfo = VN_TZ) -> datetime | None:
    """Parse a Vietnamese date/time string to an aware datetime; None if it is not one.

    Order: ISO 8601 (its own offset wins; naive ISO is read in ``tz``), NukeViet's
    malformed meta time, numeric regexes (wall time read in ``tz``; a "(GMT+7)"
    label is ignored), then dateparser for textual and relative forms.  A numeric
    date that does not exist (31/02) is None, not handed to dateparser.
    """
    s = normalize_inline(raw)
    if _ISO.fullmatch(s):
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=tz)
    meta = parse_nukeviet_meta_time(s)
    if meta:
        return meta
    s = _ZONE_LABEL.sub(" ", s)
    date = _DATE.search(s)
    if date:
        return _from_numeric(s, date, tz)
    return _fallback(s, tz)


def _from_numeric(s: str, date: re.Match[str], tz: tzinfo) -> datetime | None:
    """Combine the matched date with the first clock time found outside it."""
    day, month, year = (
        date["d"] or date["d2"] or date["d3"],
        date["m"] or date["m2"] or date["m3"],
        date["y"] or date["y2"] or date["y3"],
    )
    hour = minute = second = 0
    clock = _TIME.search(s[: date.start()] + " " + s[date.end() :])
    if clock:
        hour, minute, second = int(clock["h"]), int(clock["mi"]), int(clock["s"] or 0)
        marker = (clock["ap"] or "").replace(".", "").upper()
        if marker in ("AM", "SA") and hour == 12:
            hour = 0  # "12:08:00 AM" is eight past midnight
        elif marker in ("PM", "CH") and hour < 12:
            hour += 12
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def _fallback(s: str, tz: tzinfo) -> datetime | None:
    """dateparser for words only: numeric leftovers ("2", "24/08") are not dates."""
    if not _LETTER.search(s) or len(s) > _MAX_FALLBACK_LEN:
        return None
    cleaned = _NOISE.sub(" ", s).strip()
    if not _RELATIVE.search(cleaned):
        # An absolute "14 giờ 05 phút" must reach dateparser as a clock time, not "ago".
        cleaned = _TIME.sub(lambda m: f"{m['h']}:{m['mi']} {m['ap'] or ''}", cleaned)
    import dateparser  # slow to import; most inputs never get here

    try:
        settings = {
            "DATE_ORDER": "DMY",
            "TIMEZONE": getattr(tz, "key", None) or datetime.now(tz).strftime("%z"),
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "past",
        }
        dt = dateparser.parse(cleaned, languages=["vi"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd text; ours is "not a date"
        return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=tz)
