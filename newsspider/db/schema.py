"""The database schema, as forward-only migrations applied once each and recorded.

Each migration is one transaction per dialect; ``schema_migrations`` lists those applied, so
running :func:`migrate` again (every ``newsspider load`` does) changes nothing. A change to the
schema is a new migration appended here, never an edit of a shipped one. docs/database.md
documents every table and column.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MIGRATIONS", "Migration", "ddl"]


@dataclass(frozen=True)
class Migration:
    """One schema step: its number, a name, and its DDL for each dialect."""

    version: int
    name: str
    sqlite: str
    postgresql: str


# Types: SQLite keeps timestamps as the ISO 8601 text of the record (they sort: published_at
# always carries +07:00), PostgreSQL as timestamptz. Nested values are JSON text / jsonb.
_ARTICLES = """
CREATE TABLE IF NOT EXISTS articles (
    id                   TEXT PRIMARY KEY,
    schema_version       TEXT NOT NULL,
    native_id            TEXT NOT NULL,
    site                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    canonical_url        TEXT,
    title                TEXT NOT NULL,
    summary              TEXT,
    body_text            TEXT NOT NULL,
    body_html            TEXT NOT NULL,
    published_at         {ts} NOT NULL,
    published_at_raw     TEXT,
    modified_at          {ts},
    modified_at_raw      TEXT,
    authors              {json} NOT NULL,
    source               TEXT,
    source_url           TEXT,
    category             TEXT,
    breadcrumbs          {json} NOT NULL,
    tags                 {json} NOT NULL,
    images               {json} NOT NULL,
    attachments          {json} NOT NULL,
    view_count           BIGINT,
    comment_count        BIGINT,
    rating               {json},
    language             TEXT,
    encoding_detected    TEXT,
    crawled_at           {ts} NOT NULL,
    content_hash         TEXT NOT NULL,
    extractor            TEXT NOT NULL,
    match_hash           TEXT NOT NULL,
    minhash              {blob} NOT NULL,
    duplicate_of         TEXT REFERENCES articles (id) DEFERRABLE INITIALLY DEFERRED,
    duplicate_similarity {real},
    loaded_at            {ts} NOT NULL,
    updated_at           {ts} NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_site ON articles (site);
CREATE INDEX IF NOT EXISTS articles_published_at ON articles (published_at);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE IF NOT EXISTS article_versions (
    article_id   TEXT NOT NULL REFERENCES articles (id) DEFERRABLE INITIALLY DEFERRED,
    content_hash TEXT NOT NULL,
    modified_at  {ts},
    crawled_at   {ts} NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT,
    body_text    TEXT NOT NULL,
    body_html    TEXT NOT NULL,
    loaded_at    {ts} NOT NULL,
    PRIMARY KEY (article_id, content_hash)
);

CREATE TABLE IF NOT EXISTS article_buckets (
    bucket     BIGINT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (bucket, article_id)
){without_rowid};

CREATE TABLE IF NOT EXISTS load_runs (
    id          {serial},
    origin      TEXT NOT NULL,
    files       {json} NOT NULL,
    started_at  {ts} NOT NULL,
    finished_at {ts},
    status      TEXT NOT NULL,
    lines       BIGINT NOT NULL DEFAULT 0,
    inserted    BIGINT NOT NULL DEFAULT 0,
    updated     BIGINT NOT NULL DEFAULT 0,
    unchanged   BIGINT NOT NULL DEFAULT 0,
    linked      BIGINT NOT NULL DEFAULT 0,
    bad         BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS load_errors (
    run_id BIGINT NOT NULL REFERENCES load_runs (id),
    file   TEXT NOT NULL,
    line   BIGINT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS newsspider_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_SQLITE_TYPES = {
    "ts": "TEXT",
    "json": "TEXT",
    "blob": "BLOB",
    "real": "REAL",
    "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "without_rowid": " WITHOUT ROWID",
}
_POSTGRESQL_TYPES = {
    "ts": "timestamptz",
    "json": "jsonb",
    "blob": "bytea",
    "real": "double precision",
    "serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
    "without_rowid": "",
}

# The current text of an article is stored once, in its row: article_versions keeps the texts
# it superseded, and article_history shows both. Writing the text twice cost as much as the
# article row itself (SQLite: pages written and checkpointed; PostgreSQL: COPY parsing and TOAST).
_HISTORY = """
DELETE FROM article_versions WHERE EXISTS (
    SELECT 1 FROM articles a
    WHERE a.id = article_versions.article_id AND a.content_hash = article_versions.content_hash
);
{create_view} article_history AS
SELECT id AS article_id, content_hash, modified_at, crawled_at, title, summary, body_text, body_html,
       updated_at AS loaded_at, {true} AS is_current
FROM articles
UNION ALL
SELECT article_id, content_hash, modified_at, crawled_at, title, summary, body_text, body_html,
       loaded_at, {false} AS is_current
FROM article_versions;
"""
# PostgreSQL: an article row of up to ~8 kB stays in its heap page as it is, instead of having
# its text compressed with pglz (half the server's CPU on COPY) to fit in 2 kB; the table is
# about 1.6 times larger for it.
_TOAST = """
ALTER TABLE articles SET (toast_tuple_target = 8160);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, versions, LSH buckets, load log",
        _ARTICLES.format(**_SQLITE_TYPES),
        _ARTICLES.format(**_POSTGRESQL_TYPES),
    ),
    Migration(
        2,
        "current text stored once: article_versions holds superseded texts, article_history all",
        _HISTORY.format(create_view="CREATE VIEW IF NOT EXISTS", true=1, false=0),
        _HISTORY.format(create_view="CREATE OR REPLACE VIEW", true="TRUE", false="FALSE") + _TOAST,
    ),
)

MIGRATIONS_TABLE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS schema_migrations "
    "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at timestamptz NOT NULL)",
}


def ddl(dialect: str) -> str:
    """Return the whole schema of ``dialect`` ("sqlite" or "postgresql") as one SQL script."""
    steps = [MIGRATIONS_TABLE[dialect] + ";"]
    steps += [f"-- {m.version}: {m.name}\n{getattr(m, dialect).strip()}" for m in MIGRATIONS]
    return "\n\n".join(steps) + "\n"
