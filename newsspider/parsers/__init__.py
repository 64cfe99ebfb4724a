"""Parsers, one module per CMS family: pure functions over a ``parsel.Selector`` and a URL.

The registry maps a family name to its module; :func:`detect_family` picks the family of a
page when the site configuration does not name one.
"""

from __future__ import annotations

from types import ModuleType

from parsel import Selector

from newsspider.parsers import generic, nukeviet

__all__ = ["FAMILIES", "detect_family", "parser_for"]

FAMILIES: dict[str, ModuleType] = {"nukeviet": nukeviet, "generic": generic}


def detect_family(sel: Selector) -> str | None:
    """Return the family whose fingerprints the page carries: NukeViet first, any other HTML page
    is "generic"; None for what is not HTML."""
    if nukeviet.is_nukeviet(sel):
        return "nukeviet"
    if sel.xpath("/html/body/* | /html/head/*"):
        return "generic"
    return None


def parser_for(family: str) -> ModuleType:
    """Return the parser module of ``family``."""
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown family {family!r}; known: {sorted(FAMILIES)}") from None
