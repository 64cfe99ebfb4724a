"""Load JSON Lines files: every good line loads, every bad one is reported as file:line."""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from newsspider.db.database import Database
from newsspider.db.loader import Loader, LoadStats
from newsspider.db.records import BadRecord, parse_line, parse_value

__all__ = ["expand", "load_files"]


def expand(patterns: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return the files that ``patterns`` (paths or globs, ``**`` included) name, and those naming none."""
    files: list[str] = []
    unmatched: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            found = sorted(path for path in glob.glob(pattern, recursive=True) if Path(path).is_file())
        else:
            found = [pattern] if Path(pattern).is_file() else []
        if not found:
            unmatched.append(pattern)
        files += [path for path in found if path not in files]
    return files, unmatched


# str.split() and str.strip() know these separators and spaces; bytes.strip() knows only ASCII ones.
_NOT_ASCII_SPACE = frozenset(range(0x1C, 0x20)) | frozenset(range(0x80, 0x100))
# Records per transaction (`newsspider load --batch-size`). A batch's LSH buckets land all over
# their index (they are hashes), so once the index is large each batch rewrites most of its pages
# (SQLite: to the WAL, then at the checkpoint): 2,500 records share that 2.5 times better than
# 1,000 (100,000 bench records: loader CPU 224 -> 205 us a record).
BATCH_SIZE = 2500
# Below this much input the worker processes would cost more to start than they save.
_PARALLEL_BYTES = 8_000_000


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    """Yield (number, bytes) of the non-blank lines (blank as ``str.strip()`` sees it)."""
    # A 1 MB buffer: with the default 8 kB, lines of ~7 kB meant a read and a copy across buffers
    # for most lines (5 -> 1.3 us a line).
    with open(path, "rb", buffering=1 << 20) as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith(b"{"):  # a record, surely not blank: no copy of the line to strip it
                yield number, line
                continue
            stripped = line.strip()
            if stripped and (
                stripped[0] not in _NOT_ASCII_SPACE
                or line.decode("utf-8", "surrogateescape").strip()  # a Unicode space, perhaps
            ):
                yield number, line


def _record(line: bytes) -> dict[str, Any]:
    """Return the record on a line, or raise :class:`BadRecord` (as ``parse_line`` words it).

    orjson reads the bytes straight (UTF-8 checked, no str of the whole line); anything it
    refuses, or that holds a NUL, goes the standard way, for the same verdict and message; so
    does a line with a float beyond 2**63, because orjson reads an integer beyond 64 bits as one.
    """
    if b"\x00" not in line and b"\\u0000" not in line:
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
        else:
            if not (isinstance(value, dict | list) and _may_hold_big_integer(line) and _has_big_float(value)):
                return parse_value(value)
    text = line.decode("utf-8", "surrogateescape")
    _check_encoding(text)
    return parse_line(text)


# Every byte to "." but the digits, to "0": a run of 19 zeros then marks a run of 19 digits.
_DIGITS_TO_ZERO = bytes.maketrans(bytes(range(256)), b"." * 48 + b"0" * 10 + b"." * 198)


def _may_hold_big_integer(line: bytes) -> bool:
    """Return False when ``line`` has no run of 19 digits, so no integer of 2**63 or more.

    Two C passes over the bytes (~3 us) spare most lines the walk of :func:`_has_big_float`.
    """
    return b"0" * 19 in line.translate(_DIGITS_TO_ZERO)


def _has_big_float(value: Any) -> bool:
    """Return True if ``value`` holds a float of 2**63 or more: orjson's reading of a huge integer."""
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        kind = type(item)
        if kind is float:
            if not -(2.0**63) < item < 2.0**63:
                return True
        elif (kind is list or kind is dict) and _has_big_float(item):
            return True
    return False


def default_workers() -> int:
    """Return how many processes compute features beside the loader: the other cores, up to 4."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def load_files(
    db: Database,
    files: Iterable[str],
    *,
    batch_size: int = BATCH_SIZE,
    report: Callable[[str, int, str], None] | None = None,
    workers: int | None = None,
) -> LoadStats:
    """Load every record of ``files``; call ``report(file, line, reason)`` for each bad line.

    ``workers`` processes compute the match keys and signatures meanwhile; by default the other
    cores, when the files are large enough to pay for starting them.
    """
    files = list(files)
    if workers is None:
        size = sum(os.path.getsize(path) for path in files if os.path.isfile(path))
        workers = default_workers() if size >= _PARALLEL_BYTES else 0
    loader = Loader(db, origin="newsspider load", files=files, batch_size=batch_size, workers=workers)
    try:
        for path in files:
            for number, line in _lines(path):
                try:
                    record = _record(line)
                except BadRecord as error:
                    loader.bad_line(path, number, str(error))
                    if report:
                        report(path, number, str(error))
                    continue
                loader.add(record)
    except BaseException:
        loader.finish(status="failed")
        raise
    return loader.finish()


def _check_encoding(line: str) -> None:
    """Refuse a line that is not UTF-8 (its stray bytes were kept as surrogates)."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as error:
        byte = ord(error.object[error.start]) - 0xDC00
        raise BadRecord(f"not UTF-8 (byte 0x{byte:02x} at column {error.start + 1})") from None
