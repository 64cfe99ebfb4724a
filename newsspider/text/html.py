"""HTML fragments to text and to sanitized HTML.

The text form is what a reader sees: block elements end paragraphs (one blank line between
them), ``<br>`` and table rows end a line, table cells are separated by spaces, and image alt text is never
printed, so a captioned image contributes its caption exactly once, where it stands.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import nh3
from lxml import html as lxml_html
from lxml.etree import XPath, _Element

__all__ = ["element_text", "fragment", "make_links_absolute", "sanitize_html", "serialize_children"]

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "select"})
_PARAGRAPH = "\x00"  # marks a paragraph boundary while the text is assembled
_LINE = "\x01"  # marks a <br> line break
# A table row is a line of its table's paragraph; its cells are separated by spaces.
_BOUNDARIES = dict.fromkeys(_BLOCK_TAGS, _PARAGRAPH) | {"tr": _LINE, "td": " ", "th": " "}
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")  # whitespace per HTML; NBSP is content until normalized
_SPACES = re.compile(r" {2,}")

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "ol", "p",
    "pre", "q", "s", "small", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def fragment(html: str) -> _Element:
    """Parse an HTML fragment into a ``<div>`` holding it, whatever its top-level shape."""
    return lxml_html.fragment_fromstring(html or "", create_parent="div")


def serialize_children(root: _Element) -> str:
    """Return the inner HTML of ``root``."""
    inner = [root.text or ""]
    inner.extend(lxml_html.tostring(child, encoding="unicode") for child in root)
    return "".join(inner)


def element_text(root: _Element, *, with_tail: bool = True) -> str:
    """Return the visible text of an element: paragraphs split by a blank line, <br> by a newline.

    The text after the element (its tail) is read too unless ``with_tail`` is False.
    """
    parts: list[str] = []
    _collect(root, parts, with_tail=with_tail)
    blocks = []
    for block in "".join(parts).split(_PARAGRAPH):
        lines = (_SPACES.sub(" ", line).strip() for line in block.split(_LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)


def _collect(el: _Element, parts: list[str], *, with_tail: bool = True) -> None:
    tag = el.tag if isinstance(el.tag, str) else None
    if tag is None or tag in _SKIP_TAGS:  # comments, processing instructions, scripts
        if with_tail:
            _append(parts, el.tail)
        return
    boundary = _BOUNDARIES.get(tag, "")
    if tag == "br":
        parts.append(_LINE)
    parts.append(boundary)
    _append(parts, el.text)
    for child in el:
        _collect(child, parts)
    parts.append(boundary)
    if with_tail:
        _append(parts, el.tail)


def _append(parts: list[str], text: str | None) -> None:
    if text:
        parts.append(_HTML_SPACE.sub(" ", text))


# Built once: nh3.clean() converts the allow-lists into Rust sets again on every call.
_SANITIZER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
# The link attributes sanitize_html keeps. Making only these absolute gives the same sanitized
# markup as lxml's make_links_absolute(), which walks every element for two dozen link kinds
# (CSS url(), <object>, <meta refresh> …) that the sanitizer drops anyway.
_KEPT_LINKS = XPath("descendant::a[@href] | descendant::img[@src]")
_LINK_ATTRIBUTE = {"a": "href", "img": "src"}


def make_links_absolute(root: _Element, base_url: str) -> None:
    """Resolve the kept links (``a@href``, ``img@src``) under ``root`` against ``base_url``."""
    for element in _KEPT_LINKS(root):
        name = _LINK_ATTRIBUTE[element.tag]
        element.set(name, urljoin(base_url, element.get(name).strip()))


def sanitize_html(html: str) -> str:
    """Keep article markup only: no scripts, styles, classes, event handlers or unsafe URLs."""
    return _SANITIZER.clean(html).strip()
