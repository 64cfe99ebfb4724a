"""The published JSON Schema of the article record, versioned with ``Article.schema_version``."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from newsspider.items import SCHEMA_VERSION

__all__ = ["article_schema", "schema_path"]


def schema_path(version: str = SCHEMA_VERSION) -> str:
    """Return the file name of the schema of ``version`` inside this package."""
    return f"article-{version}.json"


@cache
def article_schema(version: str = SCHEMA_VERSION) -> dict[str, Any]:
    """Return the JSON Schema that records of ``version`` must satisfy."""
    text = files(__package__).joinpath(schema_path(version)).read_text(encoding="utf-8")
    return json.loads(text)
