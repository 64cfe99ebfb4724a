"""Read one JSON Lines record and check what the database relies on.

The crawler validates every record against the full JSON Schema before it is written; the
loader may be fed files from elsewhere, so it checks, cheaply, what would otherwise break or
corrupt a row: the shape of each field, the id, the hash, and times that carry an offset
(PostgreSQL would read a naive time in its own zone). A failing line is reported with every
reason and the rest of the file loads.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import datetime
from typing import Any

from newsspider.items import SCHEMA_VERSION, Article
from newsspider.schema import article_schema

_SCHEMA_VERSIONS = ("1.0", SCHEMA_VERSION)  # 1.1 added encoding_detected; 1.0 records load with it null
__all__ = ["FIELDS", "JSON_FIELDS", "BadRecord", "parse_line", "parse_time", "parse_value"]

FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
JSON_FIELDS = frozenset({"authors", "breadcrumbs", "tags", "images", "attachments", "rating"})
_LIST_FIELDS = JSON_FIELDS - {"rating"}
_REQUIRED = frozenset(article_schema()["required"])
_INT_FIELDS = frozenset({"view_count", "comment_count"})
_TIME_FIELDS = ("published_at", "modified_at", "crawled_at")
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*:[A-Za-z0-9._-]+")
_HASH = re.compile(r"sha256:[0-9a-f]{64}")


class BadRecord(ValueError):
    """A line that cannot be loaded; the message gives every reason."""


def parse_time(value: Any) -> datetime | None:
    """Return an aware datetime for an ISO 8601 string or a datetime (None stays None)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def parse_line(line: str) -> dict[str, Any]:
    """Return the record on ``line``, or raise :class:`BadRecord` saying why it cannot load."""
    if "\x00" in line or "\\u0000" in line:
        raise BadRecord("contains U+0000 (NUL), which PostgreSQL text cannot hold")
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadRecord(f"not JSON: {error}") from None
    return parse_value(record)


def parse_value(record: Any) -> dict[str, Any]:
    """Return a parsed line's value if it is a record that can load, or raise :class:`BadRecord`."""
    if not isinstance(record, dict):
        raise BadRecord(f"not a JSON object but {type(record).__name__}")
    reasons = _problems(record)
    if reasons:
        raise BadRecord("; ".join(reasons))
    return record


# The type each field must have when it is not null (bool is not an int here).
_TYPES: dict[str, type] = {
    name: list if name in _LIST_FIELDS else dict if name == "rating" else int if name in _INT_FIELDS else str
    for name in FIELDS
}
_FIELD_SET = frozenset(FIELDS)


def _fine(record: dict[str, Any]) -> bool:
    """Return True when ``record`` passes every check of :func:`_problems` (the usual case, ~5x faster).

    A JSON parser's values are of exactly these types, never of subclasses. The types of a
    record's fields, in field order, are checked once per pattern: a file has a handful of
    them (which optional fields are null), so a record costs one tuple and one set lookup.
    """
    if not _FIELD_SET.issuperset(record):
        return False
    pattern = tuple(map(type, map(record.get, FIELDS)))
    if pattern not in _GOOD_TYPES:
        if not _good_types(pattern):
            return False
        if len(_GOOD_TYPES) > 4096:
            _GOOD_TYPES.clear()
        _GOOD_TYPES.add(pattern)
    for name in _INT_FIELDS:
        value = record.get(name)
        if value is not None and not 0 <= value < 2**63:
            return False
    if record.get("schema_version", SCHEMA_VERSION) not in _SCHEMA_VERSIONS:
        return False
    if not (_ID.fullmatch(record["id"]) and _HASH.fullmatch(record["content_hash"])):
        return False
    for name in _TIME_FIELDS:
        value = record.get(name)
        if value is not None and (type(value) is not str or _aware(value) is not True):
            return False
    return True


def _good_types(pattern: tuple[type, ...]) -> bool:
    """Return True when fields of these types (in ``FIELDS`` order, NoneType for absent) may load."""
    for name, kind in zip(FIELDS, pattern, strict=True):
        if kind is type(None):
            if name in _REQUIRED:
                return False
        elif name not in _TIME_FIELDS and kind is not _TYPES[name]:
            return False
    return True


_GOOD_TYPES: set[tuple[type, ...]] = set()


def _aware(value: str) -> bool | None:
    """Return whether an ISO 8601 string carries an offset; None when it is no ISO 8601 time."""
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return None


def _problems(record: dict[str, Any]) -> list[str]:
    """Return every reason ``record`` cannot be stored (empty when it can)."""
    return [] if _fine(record) else _reasons(record)


def _reasons(record: dict[str, Any]) -> list[str]:
    """Return every reason ``record`` cannot be stored, each spelled out."""
    reasons = []
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        reasons.append(f"unknown field(s) {', '.join(unknown)}")
    missing = sorted(name for name in _REQUIRED if record.get(name) is None)
    if missing:
        reasons.append(f"missing {', '.join(missing)}")
    if record.get("schema_version", SCHEMA_VERSION) not in _SCHEMA_VERSIONS:
        reasons.append(f"schema_version {record['schema_version']!r} is not one of {_SCHEMA_VERSIONS}")
    for name in FIELDS:
        value = record.get(name)
        if value is None or name in _TIME_FIELDS:
            continue
        if name in _LIST_FIELDS:
            ok = isinstance(value, list)
        elif name == "rating":
            ok = isinstance(value, dict)
        elif name in _INT_FIELDS:
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
        else:
            ok = isinstance(value, str)
        if not ok:
            reasons.append(f"{name}: unexpected {type(value).__name__}")
    if isinstance(record.get("id"), str) and not _ID.fullmatch(record["id"]):
        reasons.append(f"id {record['id']!r} is not <site>:<native id>")
    if isinstance(record.get("content_hash"), str) and not _HASH.fullmatch(record["content_hash"]):
        reasons.append("content_hash is not sha256:<64 hex digits>")
    for name in _TIME_FIELDS:
        value = record.get(name)
        if value is None:
            continue
        try:
            ok = isinstance(value, str) and parse_time(value).tzinfo is not None  # type: ignore[union-attr]
        except ValueError:
            ok = False
        if not ok:
            reasons.append(f"{name}: {value!r} is not an ISO 8601 time with an offset")
    return reasons
