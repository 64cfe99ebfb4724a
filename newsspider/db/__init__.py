"""The downstream database: load article records into SQLite or PostgreSQL (docs/database.md).

``connect(url)`` opens a database and migrates its schema; ``load_files`` and the
``Loader`` write records with idempotent upserts, kept versions and republication links.
"""

from __future__ import annotations

from newsspider.db.database import DEFAULT_DATABASE_URL, Database, connect
from newsspider.db.files import load_files
from newsspider.db.loader import Loader, LoadStats

__all__ = ["DEFAULT_DATABASE_URL", "Database", "LoadStats", "Loader", "connect", "load_files"]
