"""Hypothesis over parsers, decoding and pipelines: hostile input never raises out of them.

Pages are random bytes, random HTML, and real fixture pages mutated (cut, spliced, with bytes
flipped or markup injected), read in every encoding the crawler knows. Each record that comes
out goes through the real pipelines: it is exported or rejected with its reasons in the
rejects file, never an exception.
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from gold import NUKEVIET, article_file, gold_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from parsel import Selector
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newsspider.encoding import decode_page
from newsspider.extraction import NotAnArticle, article_from_page
from newsspider.failures import reason_for
from newsspider.netguard import allowed_networks, is_private
from newsspider.parsers import detect_family, generic, nukeviet
from newsspider.parsers.feeds import feed_links, sitemap_entries
from newsspider.pipelines.clean import CleanPipeline
from newsspider.pipelines.dedupe import DedupePipeline
from newsspider.pipelines.normalize import NormalizePipeline
from newsspider.pipelines.validate import ValidatePipeline
from newsspider.retry import retry_after_seconds
from newsspider.sites import SiteConfigError, site_name_for_url

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
URL = "http://portal.example.gov.vn/thoi-su/tin-moi-12.html"
ENCODINGS = ["utf-8", "windows-1258", "cp1252", "latin-1", "utf-16", "tcvn3", "vni", None]
PAGES = [article_file("egov-short", gold).read_bytes() for gold in gold_records("egov-short")[:4]]
PAGES += [(NUKEVIET / "egov-short" / "files" / "index.html").read_bytes()]
PAGES += [
    path.read_bytes() for path in sorted((Path(__file__).parents[1] / "fixtures" / "generic").glob("*.html"))
]
FEEDS = [
    (NUKEVIET / "egov-short" / "files" / name).read_bytes() for name in ("sitemap.xml", "sitemap-vi.news.xml")
]

TAGS = ["div", "p", "h1", "span", "table", "td", "script", "style", "figure", "img", "a", "em", "iframe"]
snippets = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "<h1 itemprop='headline'>", "<div id='news-bodyhtml'>", "<div class='bodytext'>", "</div>",
        "<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":", "]]>",
        "<meta property='og:title' content='", "<!--", "&#0;", "&#xD800;", "&nbsp;", "\x00", "\ufeff",
        "<time datetime='2099-13-45T99:99'>", "<span class='h5'>31/02/2024 25:61</span>", "<img src=''>",
        "<a href='javascript:alert(1)'>", "<a href='//evil.example/x'>", "<base href='http://x/'>",
    ]),
    st.builds(lambda tag, text: f"<{tag}>{text}</{tag}>", st.sampled_from(TAGS), st.text(max_size=30)),
)  # fmt: skip


@st.composite
def mutated_pages(draw: st.DrawFn) -> bytes:
    """A real page, cut, spliced, with markup injected and bytes flipped."""
    page = bytearray(draw(st.sampled_from(PAGES)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(page)))
        action = draw(st.sampled_from(["inject", "cut", "flip", "drop"]))
        if action == "inject":
            page[at:at] = draw(snippets).encode("utf-8", "surrogatepass")
        elif action == "cut":
            del page[at:]
        elif action == "flip" and at < len(page):
            page[at] = draw(st.integers(0, 255))
        elif action == "drop":
            del page[at : at + draw(st.integers(1, 2000))]
    return bytes(page)


any_page = st.one_of(mutated_pages(), st.binary(max_size=3000), st.text(max_size=2000).map(str.encode))


def parse_everything(body: bytes, encoding: str | None) -> dict[str, Any] | None:
    """Do with one page what the spider does; return its record when it is an article."""
    text, _ = decode_page(body, encoding, encoding if encoding in ("tcvn3", "vni") else None)
    sel = Selector(text=text or "<html></html>")
    detect_family(sel)
    for parser in (nukeviet, generic):
        parser.is_article_page(sel)
    nukeviet.listing_article_urls(sel, URL)
    nukeviet.next_page_urls(sel, URL)
    nukeviet.category_urls(sel, URL)
    nukeviet.feed_urls(sel, URL)
    for family in ("nukeviet", "generic"):
        try:
            article = article_from_page(sel, URL, site="fuzz", family=family, encoding=encoding)
        except NotAnArticle:
            continue
        return dict(article.__dict__)
    return None


@FUZZ
@given(any_page, st.sampled_from(ENCODINGS))
def test_parsers_never_raise(body: bytes, encoding: str | None) -> None:
    parse_everything(body, encoding)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(ENCODINGS), st.sampled_from(ENCODINGS))
def test_decoding_random_bytes_in_every_encoding(
    body: bytes, declared: str | None, forced: str | None
) -> None:
    text, detected = decode_page(
        body, declared or "utf-8", forced if forced in ("tcvn3", "vni", None) else forced
    )
    assert isinstance(text, str) and detected


XML_SNIPPETS = [
    b"<!ENTITY x SYSTEM 'file:///etc/passwd'>", b"&x;", b"<url>", b"\x00",
    b"<!DOCTYPE a [<!ENTITY a 'aaaa'>]>", b"]]>", b"</loc>",
]  # fmt: skip


@st.composite
def mutated_xml(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(FEEDS)))
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(body)))
        body[at:at] = draw(st.sampled_from(XML_SNIPPETS))
        if draw(st.booleans()):
            del body[draw(st.integers(0, len(body))) :]
    return bytes(body)


@FUZZ
@given(st.one_of(mutated_xml(), st.binary(max_size=2000), st.just(b"\x1f\x8b\x08\x00broken-gzip")))
def test_sitemap_and_feed_parsers_never_raise_nor_expand_entities(body: bytes) -> None:
    kind, entries = sitemap_entries(body)
    links = feed_links(body)
    assert kind in ("index", "urlset")
    assert not any("root:" in entry.loc for entry in entries) and not any("root:" in link for link in links)


def test_a_corrupt_gzipped_sitemap_is_read_as_empty() -> None:
    body = gzip.compress(FEEDS[1])
    corrupt = body[:20] + bytes(b ^ 0x5A for b in body[20:60]) + body[60:]
    assert sitemap_entries(corrupt) == ("urlset", [])


class _Crawler:
    """What the pipelines use of a crawler: settings, stats, the spider (for the rejects path)."""

    def __init__(self, workdir: Path) -> None:
        self.settings = Settings({"FEEDS": {str(workdir / "out.jsonl"): {"format": "jsonlines"}}})
        self.stats = MemoryStatsCollector(SimpleNamespace(settings=self.settings))  # type: ignore[arg-type]
        self.spider = SimpleNamespace(site="fuzz", run_ts="run", name="portal", store=None)


def run_pipelines(record: dict[str, Any], crawler: _Crawler) -> str:
    """Return ``exported`` or ``dropped``; any other exception fails the test."""
    item: Any = record
    stages = [CleanPipeline(), NormalizePipeline(), ValidatePipeline(crawler), DedupePipeline(crawler)]  # type: ignore[arg-type]
    try:
        for stage in stages:
            item = stage.process_item(item)
    except DropItem:
        return "dropped"
    finally:
        stages[2].close_spider()  # type: ignore[attr-defined]
    return "exported"


@FUZZ
@given(any_page, st.sampled_from(ENCODINGS))
def test_pipelines_export_or_reject_every_record_of_a_hostile_page(tmp_path_factory: Any, body: bytes,
                                                                   encoding: str | None) -> None:  # fmt: skip
    record = parse_everything(body, encoding)
    if record is None:
        return
    workdir = tmp_path_factory.mktemp("pipelines")
    crawler = _Crawler(workdir)
    outcome = run_pipelines(record, crawler)
    rejects = workdir / "out.rejects.jsonl"
    if outcome == "exported":
        assert record["body_text"] and record["title"] and record["published_at"]
        assert not rejects.exists()
    else:
        (line,) = [json.loads(line) for line in rejects.read_text(encoding="utf-8").split("\n")[:-1]]
        assert line["reasons"] and line["url"] == URL


field_values = st.one_of(
    st.none(), st.text(max_size=50), st.integers(), st.floats(allow_nan=True), st.booleans(),
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)  # fmt: skip
FIELDS = ["title", "summary", "body_html", "body_text", "published_at", "published_at_raw", "modified_at",
          "authors", "tags", "category", "url", "canonical_url", "source", "native_id", "site"]  # fmt: skip


@FUZZ
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, field_values)))
def test_validation_rejects_any_malformed_record_with_reasons(
    tmp_path_factory: Any, record: dict[str, Any]
) -> None:
    workdir = tmp_path_factory.mktemp("validate")
    crawler = _Crawler(workdir)
    stage = ValidatePipeline(crawler)  # type: ignore[arg-type]
    try:
        stage.process_item(dict(record))
    except DropItem:
        lines = (workdir / "out.rejects.jsonl").read_text(encoding="utf-8").split("\n")[:-1]  # not at U+0085
        assert len(lines) == 1 and json.loads(lines[0])["reasons"]
    else:
        raise AssertionError("a record without the required fields was exported")
    finally:
        stage.close_spider()


# -- security helpers ------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=80))
def test_site_names_from_urls_are_safe_file_names(host: str) -> None:
    try:
        name = site_name_for_url(f"http://{host}/")
    except (SiteConfigError, ValueError):
        return
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,63}", name)  # no separator, no leading dot


@FUZZ
@given(st.ip_addresses())
def test_every_non_public_address_is_private(address: Any) -> None:
    if not (getattr(address, "ipv4_mapped", None) or address).is_global:
        assert is_private(address)


def test_private_and_public_addresses() -> None:
    private = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1", "0.0.0.0", "::1", "fe80::1",
               "::ffff:10.0.0.1", "fd00::1", "100.64.0.1", "224.0.0.1"]  # fmt: skip
    assert all(is_private(ipaddress.ip_address(address)) for address in private)
    public = ["8.8.8.8", "203.162.4.190", "2001:4860:4860::8888", "::ffff:8.8.8.8"]
    assert not any(is_private(ipaddress.ip_address(address)) for address in public)


def test_private_address_setting_forms() -> None:
    assert allowed_networks(False) == (False, [])
    assert allowed_networks("True") == (True, [])
    allow_all, networks = allowed_networks("127.0.0.1, 10.1.0.0/16")
    assert not allow_all and [str(net) for net in networks] == ["127.0.0.1/32", "10.1.0.0/16"]


@FUZZ
@given(st.one_of(st.text(max_size=40), st.binary(max_size=40)))
def test_retry_after_never_raises(value: str | bytes) -> None:
    seconds = retry_after_seconds(value)
    assert seconds is None or seconds >= 0


def test_failure_reasons_of_exceptions() -> None:
    from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest, ResponseDataLossError

    assert reason_for(DownloadTimeoutError()) == "timeout"
    assert reason_for(ResponseDataLossError()) == "truncated"
    assert reason_for(IgnoreRequest("Forbidden by robots.txt")) == "robots_txt"
    assert reason_for(ConnectionResetError()) == "connection_error"
