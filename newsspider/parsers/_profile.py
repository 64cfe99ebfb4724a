"""Site profiles: per-site selectors that override what the generic family would read.

A profile is a mapping of key → selector string, as written in a ``sites.toml`` entry. A selector
is CSS (parsel flavour, so ``::text`` and ``::attr(name)`` work) or, prefixed with ``xpath:``, an
XPath expression. Selecting elements gives their visible text (or, for ``body``, their inner HTML);
selecting text or attributes gives the strings themselves.

Article fields (each replaces the generic value when it matches anything on the page):

- ``title``, ``summary``, ``source``, ``source_url``, ``category``, ``canonical_url``,
  ``native_id``, ``language``: the first match's text.
- ``body``: the first matched element; its inner HTML is the body as is (no trafilatura).
- ``published_at``, ``modified_at``: the first match, read by :func:`newsspider.dates.parse_date`
  in the site's zone (``span.date::text``, ``xpath://time/@datetime``).
- ``authors``, ``tags``, ``breadcrumbs``: the text of every match.
- ``images``: ``<img>`` elements (caption from their ``<figure>``), or strings taken as URLs.

Page and link keys: ``article`` (a page where it matches is an article page), ``article_links``,
``next_page``, ``categories`` (links, as ``<a>`` elements or ``href`` strings), and
``article_url``: a regular expression an article URL matches, whose first group (or group
``id``) is the native id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from cssselect import SelectorError
from lxml.etree import XPath, XPathSyntaxError
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from newsspider.parsers._structured import node_text

__all__ = ["FIELD_KEYS", "LINK_KEYS", "PROFILE_KEYS", "check_profile", "select", "texts"]

FIELD_KEYS = frozenset(
    {
        "title", "summary", "body", "published_at", "modified_at", "authors", "source", "source_url",
        "category", "breadcrumbs", "tags", "images", "canonical_url", "native_id", "language",
    }
)  # fmt: skip
LINK_KEYS = frozenset({"article", "article_links", "next_page", "categories"})
PROFILE_KEYS = FIELD_KEYS | LINK_KEYS | {"article_url"}
_XPATH_PREFIX = "xpath:"
_TRANSLATOR = HTMLTranslator()


def check_profile(profile: Mapping[str, object]) -> dict[str, str]:
    """Return ``profile`` as a dict of strings, or raise ValueError naming the bad key."""
    unknown = set(profile) - PROFILE_KEYS
    if unknown:
        raise ValueError(f"unknown profile keys {sorted(unknown)}; known: {sorted(PROFILE_KEYS)}")
    checked = {}
    for key, value in profile.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"profile key {key!r}: a selector is a non-empty string")
        try:
            if key == "article_url":
                re.compile(value)
            else:
                _xpath(value)
        except (re.error, XPathSyntaxError, SelectorError, ValueError) as error:
            raise ValueError(f"profile key {key!r}: {value!r} is not a valid selector: {error}") from None
        checked[key] = value
    return checked


def select(sel: Selector | SelectorList[Selector], selector: str) -> SelectorList[Selector]:
    """Return what a profile selector matches in ``sel``."""
    return sel.xpath(_xpath(selector))


def texts(sel: Selector | SelectorList[Selector], selector: str) -> list[str]:
    """Return the non-empty texts a profile selector matches: strings as they are, elements' text."""
    values = []
    for node in select(sel, selector):
        value = node_text(node)
        if value:
            values.append(value)
    return values


@lru_cache(maxsize=512)
def _xpath(selector: str) -> str:
    """Translate a profile selector to XPath once (CSS via parsel's translator) and check it."""
    if selector.startswith(_XPATH_PREFIX):
        expression = selector[len(_XPATH_PREFIX) :].strip()
    else:
        expression = _TRANSLATOR.css_to_xpath(selector)
    XPath(expression)  # raises XPathSyntaxError now rather than on the first page
    return expression
