"""The fixture server answers like the recorded site, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from newsspider.demo.server import DEMO_SITE_DIR, FixtureServer, FixtureSite, canonical_target

FIXTURES = Path(__file__).parent.parent / "fixtures"
NUKEVIET = FIXTURES / "nukeviet"
VARIANTS = ["egov-short", "stock-lang"]
RECORDED_ORIGIN = "http://127.0.0.1:8088"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, method: str = "GET") -> tuple[int, Message, bytes]:
    """(status, headers, body) of one request; 3xx and 4xx are answers, not errors."""
    request = urllib.request.Request(url, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def load_manifest(variant_dir: Path) -> dict[str, dict]:
    return json.loads((variant_dir / "manifest.json").read_text(encoding="utf-8"))


def first(manifest: dict[str, dict], **wanted: object) -> tuple[str, dict]:
    """The first manifest entry whose fields have the ``wanted`` values."""
    return next(
        (k, v) for k, v in manifest.items() if all(v.get(field) == value for field, value in wanted.items())
    )


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest) -> Iterator[tuple[Path, FixtureServer]]:
    variant_dir = NUKEVIET / request.param
    with FixtureServer(variant_dir) as server:
        yield variant_dir, server


def test_every_manifest_entry_answers_as_recorded(variant: tuple[Path, FixtureServer]) -> None:
    variant_dir, server = variant
    manifest = load_manifest(variant_dir)
    assert len(manifest) > 200
    for target, entry in manifest.items():
        status, headers, body = fetch(server.url(target))
        assert (status, headers["Content-Type"]) == (entry["status"], entry["content_type"]), target
        assert int(headers["Content-Length"]) == len(body)


def test_absolute_location_is_rewritten_to_server_origin(
    variant: tuple[Path, FixtureServer],
) -> None:
    variant_dir, server = variant
    manifest = load_manifest(variant_dir)
    absolute = [
        (k, v)
        for k, v in manifest.items()
        if v["status"] == 301 and v["location"].startswith(RECORDED_ORIGIN)
    ]
    relative = [(k, v) for k, v in manifest.items() if v["status"] == 301 and v["location"].startswith("/")]
    assert absolute and relative
    for target, entry in absolute:
        status, headers, _ = fetch(server.url(target))
        assert status == 301
        assert headers["Location"] == server.origin + entry["location"][len(RECORDED_ORIGIN) :]
    target, entry = relative[0]
    assert fetch(server.url(target))[1]["Location"] == entry["location"]


def test_html_body_names_server_origin(variant: tuple[Path, FixtureServer]) -> None:
    variant_dir, server = variant
    target, entry = first(load_manifest(variant_dir), kind="article", status=200)
    original = (variant_dir / entry["file"]).read_bytes()
    assert RECORDED_ORIGIN.encode() in original
    _, _, body = fetch(server.url(target))
    assert b"127.0.0.1:8088" not in body
    assert server.origin.encode() in body
    assert body == original.replace(RECORDED_ORIGIN.encode(), server.origin.encode())


def test_image_body_is_byte_identical(variant: tuple[Path, FixtureServer]) -> None:
    variant_dir, server = variant
    target, entry = first(load_manifest(variant_dir), kind="image")
    status, headers, body = fetch(server.url(target))
    assert (status, headers["Content-Type"]) == (200, "image/jpeg")
    assert body == (variant_dir / entry["file"]).read_bytes()


def test_unknown_target_is_404(variant: tuple[Path, FixtureServer]) -> None:
    _, server = variant
    status, headers, body = fetch(server.url("/no-such-page-999.html"))
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"Not Found" in body


def test_head_sends_headers_without_body(variant: tuple[Path, FixtureServer]) -> None:
    variant_dir, server = variant
    target, entry = first(load_manifest(variant_dir), kind="article", status=200)
    status, headers, body = fetch(server.url(target), method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) == len(fetch(server.url(target))[2])


def test_tag_target_matches_lower_case_hex_and_raw_utf8(
    variant: tuple[Path, FixtureServer],
) -> None:
    variant_dir, server = variant
    target, entry = next(
        (k, v) for k, v in load_manifest(variant_dir).items() if v["kind"] == "tag" and "%" in k
    )
    lower = target.lower()
    assert lower != target and lower not in load_manifest(variant_dir)
    status, _, body = fetch(server.url(lower))
    assert status == 200 and body == fetch(server.url(target))[2]

    # urllib refuses non-ASCII targets, so send raw UTF-8 over a plain socket.
    raw = urllib.parse.unquote(target).encode("utf-8")
    origin = urllib.parse.urlsplit(server.origin)
    with socket.create_connection((origin.hostname, origin.port)) as sock:
        sock.sendall(b"GET " + raw + b" HTTP/1.0\r\nHost: x\r\n\r\n")
        assert sock.makefile("rb").readline().split()[1] == b"200"


def test_canonical_target_only_touches_escapes_and_raw_bytes() -> None:
    assert canonical_target("/tag/%c4%91ai?x=%2f") == "/tag/%C4%91ai?x=%2F"
    assert canonical_target("/tag/đại hội") == "/tag/%C4%91%E1%BA%A1i%20h%E1%BB%99i"
    assert canonical_target("/a/b.html?download=1&id=0") == "/a/b.html?download=1&id=0"


def test_access_log_records_requests() -> None:
    variant_dir = NUKEVIET / "egov-short"
    with FixtureServer(variant_dir) as server:
        assert server.origin.startswith("http://127.0.0.1:")
        fetch(server.url("/"))
        fetch(server.url("/"), method="HEAD")
        fetch(server.url("/missing"))
        assert server.requests == [("GET", "/", 200), ("HEAD", "/", 200), ("GET", "/missing", 404)]
    server.stop()  # idempotent


def test_site_without_served_origin_serves_recorded_bytes() -> None:
    variant_dir = NUKEVIET / "egov-short"
    target, entry = first(load_manifest(variant_dir), kind="article", status=200)
    status, _, body = FixtureSite(variant_dir).respond(target)
    assert (status, body) == (200, (variant_dir / entry["file"]).read_bytes())


def test_wordpress_json_and_encoded_origins_are_rewritten() -> None:
    variant_dir = FIXTURES / "wordpress" / "twentytwentyone"
    manifest = load_manifest(variant_dir)
    with FixtureServer(variant_dir) as server:
        for kind in ("rest", "article"):
            target, _ = first(manifest, kind=kind, status=200)
            assert b"127.0.0.1%3A8092" not in fetch(server.url(target))[2]
            assert b"127.0.0.1:8092" not in fetch(server.url(target))[2]


def test_bundled_demo_site_is_egov_short() -> None:
    egov = NUKEVIET / "egov-short"
    assert load_manifest(DEMO_SITE_DIR) == load_manifest(egov)
    for name in ("variant.json", "urls.json", "gold.jsonl"):
        assert (DEMO_SITE_DIR / name).read_bytes() == (egov / name).read_bytes()
    for entry in load_manifest(DEMO_SITE_DIR).values():
        assert (DEMO_SITE_DIR / entry["file"]).is_file()
