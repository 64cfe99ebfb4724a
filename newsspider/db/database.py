"""One connection to SQLite or PostgreSQL, and the few places where the two dialects differ.

SQLite goes through the standard library's ``sqlite3`` rather than SQLAlchemy Core: no
dependency, ``executemany`` runs in C, and SQLAlchemy would not hide the one difference that
matters for speed (PostgreSQL's COPY) anyway. PostgreSQL goes through psycopg 3. SQL is
written once with ``?`` placeholders and every value is a parameter, never spliced in.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsspider.db.schema import MIGRATIONS, MIGRATIONS_TABLE

__all__ = ["DEFAULT_DATABASE_URL", "Database", "connect", "now"]

DEFAULT_DATABASE_URL = "sqlite:///output/articles.db"
# Loaders serialise on this lock (PostgreSQL) so that "read state, decide, write" is atomic.
_LOCK_ID = 0x6E657773  # "news"
_SQLITE_MAX_PARAMS = 30000
_SQLITE_PRAGMAS = (
    # 16 kB pages hold a whole article row (~6 kB, no overflow chain) and 4x the index entries
    # of the default 4 kB: a third less CPU per record written. Only a new database takes it.
    "page_size=16384",
    # WAL, synced at checkpoints only: a crash of the machine may lose the last commits but
    # never corrupts the file, and loading is idempotent, so running the load again restores
    # them (docs/database.md, "Durability").
    "journal_mode=WAL",
    "synchronous=NORMAL",
    # A checkpoint every 64 MB of WAL rather than every 16 MB: pages that every batch changes
    # (index interiors) are copied back to the database once per checkpoint, not per batch.
    "wal_autocheckpoint=4096",
    "cache_size=-65536",
)


def now() -> str:
    """Return the current UTC time as ISO 8601 (the form both dialects store)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Database:
    """A connection plus dialect: placeholders, bulk insert, locking, IN lists."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any
        if url.startswith("sqlite:"):
            self.dialect = "sqlite"
            path = _sqlite_path(url)
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # A loader's writer thread uses the connection while the thread that opened it reads
            # the next lines; the two never use it at the same time.
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=60, check_same_thread=False)
            for pragma in _SQLITE_PRAGMAS:
                self.conn.execute(f"PRAGMA {pragma}")
        elif url.startswith(("postgresql:", "postgres:")):
            import psycopg

            self.dialect = "postgresql"
            self.conn = psycopg.connect(url, autocommit=True)
        else:
            raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sql(self, statement: str) -> str:
        """Return ``statement`` with this dialect's placeholders."""
        return statement if self.dialect == "sqlite" else statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement and return its rows (empty for statements without any)."""
        cursor = self.conn.execute(self.sql(statement), params)
        return list(cursor.fetchall()) if cursor.description else []

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.cursor().executemany(self.sql(statement), rows)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert new rows: COPY on PostgreSQL, one executemany on SQLite."""
        if not rows:
            return
        if self.dialect == "postgresql":
            with self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def select_in(
        self, statement: str, values: Sequence[Any], array_type: str = "text[]"
    ) -> list[tuple[Any, ...]]:
        """Run ``statement``, whose ``IN (?)`` stands for the list ``values``, in chunks."""
        if not values:
            return []
        if self.dialect == "postgresql":
            # Integers go as one array literal: psycopg adapts a list item by item in Python
            # (~1.4 us an integer; a batch looks up ~10,000 buckets).
            array: Any = "{" + ",".join(map(str, values)) + "}" if array_type == "bigint[]" else list(values)
            return self.execute(statement.replace("IN (?)", f"= ANY(?::{array_type})"), (array,))
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(values), _SQLITE_MAX_PARAMS):
            chunk = values[start : start + _SQLITE_MAX_PARAMS]
            rows += self.execute(statement.replace("IN (?)", f"IN ({', '.join('?' * len(chunk))})"), chunk)
        return rows

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction that holds the loaders' write lock."""
        if self.dialect == "postgresql":
            with self.conn.transaction():
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def migrate(self, until: int | None = None) -> list[int]:
        """Apply the migrations not applied yet, each in its own transaction; return them.

        ``until`` stops after that version: an older schema, as a database made by an earlier
        newsspider has it (the upgrade tests start from one).
        """
        applied: list[int] = []
        with self.transaction():
            self.execute(MIGRATIONS_TABLE[self.dialect])
        for migration in MIGRATIONS:
            if until is not None and migration.version > until:
                break
            with self.transaction():
                done = self.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,))
                if done:
                    continue
                script = getattr(migration, self.dialect)
                if self.dialect == "sqlite":
                    for statement in _statements(script):
                        self.conn.execute(statement)
                else:
                    self.conn.execute(script)
                self.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, now()),
                )
                applied.append(migration.version)
        return applied


def _sqlite_path(url: str) -> str:
    """Return the file of ``sqlite:///relative``, ``sqlite:////absolute`` or ``sqlite:///:memory:``."""
    match = re.fullmatch(r"sqlite://(?:localhost)?/(.*)", url)
    if not match or not match.group(1):
        raise ValueError(f"bad SQLite URL {url!r}: use sqlite:///relative/path.db or sqlite:////abs/path.db")
    return match.group(1)


def _statements(script: str) -> list[str]:
    """Split a DDL script of ours (no semicolons inside statements) into statements."""
    return [part.strip() for part in script.split(";") if part.strip()]


def connect(url: str = DEFAULT_DATABASE_URL, *, migrate: bool = True) -> Database:
    """Open the database at ``url`` and bring its schema up to date."""
    database = Database(url)
    try:
        if migrate:
            database.migrate()
    except BaseException:
        database.close()
        raise
    return database
