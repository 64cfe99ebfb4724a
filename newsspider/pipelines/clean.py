"""Clean: take out everything that is not the article.

Boilerplate elements go first (by selector, on the body HTML), then whole boilerplate lines
(on the text). The same pass sanitizes ``body_html`` and derives ``body_text`` from it, so the
two always describe the same article.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newsspider.pipelines import not_run_in_extraction_processes
from newsspider.text.boilerplate import BOILERPLATE_ELEMENTS, remove_boilerplate_lines
from newsspider.text.html import (
    element_text,
    fragment,
    make_links_absolute,
    sanitize_html,
    serialize_children,
)

__all__ = ["CleanPipeline", "clean_record"]


def clean_record(record: dict[str, Any] | ItemAdapter) -> None:
    """Clean ``body_html``, ``body_text`` and ``summary`` of a record in place."""
    body_html = record.get("body_html")
    if body_html:
        root = fragment(body_html)
        for element in BOILERPLATE_ELEMENTS(root):
            element.drop_tree()  # keeps the element's tail text, which is not part of it
        if record.get("url"):
            make_links_absolute(root, record["url"])
        record["body_html"] = sanitize_html(serialize_children(root)) or None
        text = element_text(root)
    else:
        text = record.get("body_text") or ""
    title = record.get("title")
    record["body_text"] = remove_boilerplate_lines(text, title=title) or None
    if record.get("summary"):
        record["summary"] = remove_boilerplate_lines(record["summary"]) or None


class CleanPipeline:
    """Item pipeline around :func:`clean_record`."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        not_run_in_extraction_processes(crawler)
        return cls()

    def process_item(self, item: Any) -> Any:
        clean_record(ItemAdapter(item))
        return item
