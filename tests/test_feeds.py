"""The JSON Lines exporter: the object Scrapy's exporter writes, as readable UTF-8, one per line."""

from __future__ import annotations

import io
import json

from gold import article_file, gold_records
from scrapy.exporters import JsonLinesItemExporter

from newsspider.extraction import PageContext, finished_article
from newsspider.feeds import JsonLinesExporter
from newsspider.items import Article


def _articles() -> list[Article]:
    golds = [gold for gold in gold_records("stock-lang") if gold["visible"]]
    context = PageContext(site="demo", family="nukeviet")
    return [
        finished_article(article_file("stock-lang", g).read_bytes(), g["url"], "utf-8", context)
        for g in golds
    ]


def _export(exporter_class: type[JsonLinesItemExporter], items: list, **options: object) -> bytes:
    out = io.BytesIO()
    exporter = exporter_class(out, **options)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    return out.getvalue()


def test_articles_are_the_objects_scrapys_exporter_writes() -> None:
    articles = _articles()
    options = {"encoding": "utf-8", "fields_to_export": None, "indent": 0}  # what a crawl's feed passes
    ours = _export(JsonLinesExporter, articles, **options)
    scrapys = _export(JsonLinesItemExporter, articles, **options)
    assert ours != scrapys  # written differently (compact) ...
    lines = ours.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        json.loads(line) for line in scrapys.splitlines()
    ]  # ... same
    assert len(lines) == len(articles) == 30
    assert "\\u" not in ours.decode("utf-8") and "Đ" in ours.decode("utf-8")  # readable Vietnamese


def test_options_that_change_the_output_are_honoured() -> None:
    articles = _articles()[:3]
    for options in ({"fields_to_export": ["id", "title"]}, {"encoding": "utf-16"}, {"sort_keys": True}, {}):
        assert _export(JsonLinesExporter, articles, **options) == _export(
            JsonLinesItemExporter, articles, **options
        )


def test_other_items_go_through_scrapys_exporter() -> None:
    items = [{"id": "x:1", "title": "Tin"}]
    assert _export(JsonLinesExporter, items, encoding="utf-8") == _export(
        JsonLinesItemExporter, items, encoding="utf-8"
    )
