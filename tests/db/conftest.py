"""Fixtures of the database tests: both real databases, and real records from fixture pages.

Every test that takes ``db_url`` runs twice: on a SQLite file and on a schema of its own in a
throwaway PostgreSQL cluster (started once per session from the Debian package's binaries).
Neither database is ever mocked; without the PostgreSQL binaries the tests fail, saying how to
install them, rather than skip.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from gold import article_file, gold_records

from newsspider.db import Database, connect
from newsspider.db.pgcluster import PostgresCluster
from newsspider.extraction import NotAnArticle, extract

_schemas = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the URL of an empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/articles.db"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    schema = f"test_{next(_schemas)}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{cluster.url}?options=-csearch_path%3D{schema}"


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    with connect(db_url) as database:
        yield database


@pytest.fixture(scope="session")
def real_records() -> list[dict[str, Any]]:
    """Return the records the crawler makes of the egov-short fixture's 30 articles."""
    records = []
    for gold in gold_records("egov-short"):
        html = article_file("egov-short", gold).read_text(encoding="utf-8")
        try:
            records.append(extract(html, gold["url"], site="egov", family="nukeviet"))
        except NotAnArticle:  # the fixture's one scheduled article: not published yet
            continue
    return records
