"""Structured data a page declares about itself: JSON-LD, OpenGraph/meta tags and microdata.

These are the generic family's first sources because the publisher states them on purpose; the
visible page is only read when they are silent. Helpers return plain strings (or lists of them) and
never guess: an absent value is ``None`` or ``[]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from parsel import Selector, SelectorList

from newsspider.text.html import element_text

__all__ = [
    "ARTICLE_TYPES",
    "itemprop_values",
    "json_ld_article",
    "json_ld_breadcrumbs",
    "ld_names",
    "ld_text",
    "meta_values",
    "microdata_scope",
    "node_text",
]

# schema.org types of a news story (NewsArticle and its subtypes, and the blog kinds).
ARTICLE_TYPES = frozenset(
    {
        "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle", "BackgroundNewsArticle",
        "OpinionNewsArticle", "ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "ScholarlyArticle",
    }
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # raw control bytes some CMSs leave in JSON
_MICRODATA_SCOPE = " | ".join(
    f"//*[@itemscope][contains(concat(' ', @itemtype, ' '), '/{name} ')]" for name in sorted(ARTICLE_TYPES)
)


def json_ld_article(sel: Selector) -> dict[str, Any]:
    """Return the page's first JSON-LD article object (also found inside ``@graph``), or {}."""
    return next((node for node in _json_ld_nodes(sel) if _types(node) & ARTICLE_TYPES), {})


def json_ld_breadcrumbs(sel: Selector) -> list[str]:
    """Return the names of the page's JSON-LD ``BreadcrumbList``, in position order."""
    for node in _json_ld_nodes(sel):
        if "BreadcrumbList" in _types(node):
            items = [item for item in _as_list(node.get("itemListElement")) if isinstance(item, dict)]
            items.sort(key=lambda item: _position(item.get("position")))
            names = (ld_text(item.get("name") or _nested(item.get("item"), "name")) for item in items)
            return [name for name in names if name]
    return []


def ld_text(value: Any) -> str | None:
    """Return a JSON-LD value as one string: the text, or an object's ``name``, ``url`` or ``@id``."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("url") or value.get("@value") or value.get("@id")
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    return value.strip() or None if isinstance(value, str) else None


def ld_names(value: Any) -> list[str]:
    """Return the names in a JSON-LD value that may be one person or a list of them."""
    names = (ld_text(item) for item in _as_list(value))
    return [name for name in names if name]


def meta_values(sel: Selector, *names: str) -> list[str]:
    """Return the ``content`` of ``<meta property|name|itemprop=…>`` tags, first name first."""
    values: list[str] = []
    for name in names:
        query = f"//meta[@property='{name}' or @name='{name}' or @itemprop='{name}']/@content"
        values.extend(value.strip() for value in sel.xpath(query).getall() if value.strip())
    return values


def microdata_scope(sel: Selector) -> SelectorList[Selector]:
    """Return the page's first microdata article item (``itemscope itemtype=…/NewsArticle``)."""
    return sel.xpath(_MICRODATA_SCOPE)[:1]


def itemprop_values(scope: Selector | SelectorList[Selector], name: str) -> list[str]:
    """Return the values of ``itemprop=name`` in ``scope`` per the microdata rules.

    ``content`` wins, then ``datetime`` (``<time>``), then ``href``/``src``; a nested item (a
    Person author) gives its ``name``; anything else gives its visible text.
    """
    values = []
    for node in scope.xpath(f".//*[@itemprop][contains(concat(' ', @itemprop, ' '), ' {name} ')]"):
        attrib = node.attrib
        value = attrib.get("content") or attrib.get("datetime")
        if value is None and "itemscope" in attrib:
            value = node.xpath("string(.//*[@itemprop='name'][1])").get() or node_text(node)
        if value is None and node.root.tag in ("a", "link", "img", "meta"):
            value = attrib.get("href") or attrib.get("src")
        if value is None:
            value = node_text(node)
        if value and value.strip():
            values.append(" ".join(value.split()))
    return values


def node_text(node: Selector) -> str:
    """Return the visible text of a selected element (or the selected string itself).

    ``element_text`` also reads the element's tail, which for an inline element (a tag link, a
    name in a ``<span>``) is the text after it: ", " or the next words. Only the element's own
    text is its value.
    """
    root = node.root
    if isinstance(root, str):
        return " ".join(root.split())
    if root.tail and root.tail.strip():
        return " ".join(node.xpath("string()").get("").split())
    return element_text(root)


def _json_ld_nodes(sel: Selector) -> Iterator[dict[str, Any]]:
    """Yield every JSON-LD object of the page, flattening lists and ``@graph``."""
    for script in sel.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            data = json.loads(_CONTROL.sub(" ", script), strict=False)
        except ValueError:  # a broken block says nothing; the other sources still do
            continue
        stack = _as_list(data)
        while stack:
            node = stack.pop(0)
            if isinstance(node, dict):
                yield node
                stack.extend(_as_list(node.get("@graph")))


def _types(node: dict[str, Any]) -> set[str]:
    return {str(kind).rsplit("/", 1)[-1] for kind in _as_list(node.get("@type"))}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nested(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _position(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")
