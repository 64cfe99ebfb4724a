"""The article body of a page of unknown make: trafilatura, pointed at the right subtree.

trafilatura finds the main text well when it recognises the body container, but its vocabulary is
that of English-language CMSs: on a page whose container it does not know (NukeViet's
``div#news-bodyhtml.bodytext``, VnExpress-style ``fck_detail``, …) it falls back to "wild text"
recovery, which drops headings and lists and picks up sidebar prose. So we look for the container
first — schema.org ``articleBody``, then class and id names Vietnamese news CMSs use — and hand
trafilatura that subtree marked as ``articleBody``; only when no container is named does it see the
whole page. trafilatura also drops ``<figcaption>``; captions are article text (our body_text keeps
each once, where the image stands), so they are turned into paragraphs before it runs.
"""

from __future__ import annotations

import re
from copy import deepcopy

import trafilatura
from lxml.etree import XPath, _Element
from lxml.html import HtmlElement, fromstring

__all__ = ["body_container", "extract_body"]

_CLASS_TOKENS = (
    "bodytext", "fck_detail", "detail-content", "content-detail", "detail__content", "detail-body",
    "article-content", "article__content", "article-body", "article__body", "entry-content",
    "post-content", "news-content", "news_detail_content", "noidungchitiet", "singular-content",
)  # fmt: skip
_IDS = ("news-bodyhtml", "ArticleContent", "article-body", "content-detail", "detail-content", "noidung")
_CONTAINERS = [
    XPath(".//*[@itemprop='articleBody']"),
    XPath(" | ".join(f".//*[@id='{name}']" for name in _IDS)),
    XPath(
        " | ".join(
            f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {token} ')]"
            for token in _CLASS_TOKENS
        )
    ),
]
_HAS_CONTENT = XPath("boolean(normalize-space(string()) or .//img)")
_BODY = re.compile(r"<body>(.*)</body>", re.DOTALL)


def body_container(root: _Element) -> _Element | None:
    """Return the element under ``root`` named as the article body, or None when none is."""
    for query in _CONTAINERS:
        for element in query(root):
            if _HAS_CONTENT(element):
                return element
    return None


def extract_body(root: _Element, container: _Element | None) -> str | None:
    """Return the article body HTML trafilatura extracts from ``container`` (or the whole page)."""
    if container is not None:
        article = deepcopy(container)
        article.tag, article.attrib["itemprop"] = "article", "articleBody"
        tree: HtmlElement = fromstring("<html><body></body></html>")
        tree[0].append(article)
    else:
        tree = deepcopy(root)  # trafilatura prunes the tree it is given
    for caption in tree.iter("figcaption"):
        caption.tag = "p"
    html = trafilatura.extract(
        tree,
        output_format="html",
        include_images=True,
        include_tables=True,
        include_links=True,
        include_formatting=True,
        include_comments=False,
        favor_precision=True,
    )
    match = _BODY.search(html or "")
    return match.group(1).strip() or None if match else None
