"""Load JSON Lines files: every good line loads, every bad one is reported as file:line."""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from newsspider.db.database import Database
from newsspider.db.loader import Loader, LoadStats
from newsspider.db.records import BadRecord, parse_line

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


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """Yield (number, text) of the non-blank lines; undecodable bytes become U+FFFD (and fail)."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line


def load_files(
    db: Database,
    files: Iterable[str],
    *,
    batch_size: int = 1000,
    report: Callable[[str, int, str], None] | None = None,
) -> LoadStats:
    """Load every record of ``files``; call ``report(file, line, reason)`` for each bad line."""
    files = list(files)
    loader = Loader(db, origin="newsspider load", files=files, batch_size=batch_size)
    try:
        for path in files:
            for number, line in _lines(path):
                try:
                    _check_encoding(line)
                    record = parse_line(line)
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
