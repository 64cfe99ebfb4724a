"""The article record: a view of an item's fields, in the schema's order."""

from __future__ import annotations

from dataclasses import asdict, fields

from newsspider.items import Article, record_of


def test_record_of_an_article_is_every_field_in_order_sharing_values() -> None:
    article = Article(
        title="Tin", tags=["a"], images=[{"url": "http://x/1.jpg", "caption": None, "alt": None}]
    )
    record = record_of(article)
    assert list(record) == [field.name for field in fields(Article)]
    assert record == asdict(article)
    assert record["tags"] is article.tags  # a view: nothing deep-copied
    record["title"] = "changed"
    assert article.title == "Tin"  # but its own dict


def test_record_of_other_items() -> None:
    plain = {"id": "x:1"}
    assert record_of(plain) is plain
