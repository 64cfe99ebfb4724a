"""Replay a recorded site (a fixture "variant" folder) over real HTTP.

A variant folder holds ``manifest.json`` (request target as sent on the wire -> status,
Content-Type, Location, body file), ``variant.json`` (the ``origin`` the site was captured at)
and ``files/`` (bodies byte for byte). Tests and ``newsspider demo`` crawl it with the real
Scrapy downloader instead of mocks, so redirects, 404s, encodings and binary bodies behave as
they did on the live CMS. Only the standard library is used.

Usage::

    with FixtureServer(DEMO_SITE_DIR) as server:
        crawl(server.url("/"))
        assert len(server.requests) == ...

    python -m newsspider.demo.server newsspider/demo/site --port 8088
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import threading
from pathlib import Path

from newsspider.demo.loopback import Headers, LoopbackServer

DEMO_SITE_DIR: Path = Path(__file__).parent / "site"
"""The bundled offline demo portal (NukeViet ``egov-short`` variant) shipped in the package."""


_TEXT_TYPES = {"application/xml", "application/json", "application/javascript", "application/xhtml+xml"}
# A %XX escape (to upper-case) or a byte that may not appear raw in a request target.
_ESCAPE_OR_RAW = re.compile(rb"%[0-9a-fA-F]{2}|[^\x21-\x7e]")
_NOT_FOUND = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>Not in the fixture manifest.</p></body></html>\n"
)


def canonical_target(target: str) -> str:
    """Spell ``target`` the way manifest keys are spelled: UTF-8, ``%XX`` with upper-case hex.

    Clients differ: Scrapy may send ``/tag/%c4%91…`` and a browser raw UTF-8 ``/tag/đ…``, while
    the manifest records ``/tag/%C4%91…``. Existing escapes are never decoded, so ``%2F`` and
    ``/`` stay distinct.
    """
    raw = target.encode("utf-8", "surrogateescape")
    return _ESCAPE_OR_RAW.sub(lambda m: m[0].upper() if len(m[0]) == 3 else b"%%%02X" % m[0][0], raw).decode(
        "ascii"
    )


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+xml", "+json"))


class FixtureSite:
    """One variant folder, answering request targets from its manifest.

    The pages name the origin they were captured at (``variant.json`` ``origin``) in canonical
    links, RSS, sitemaps and Location headers. A crawler following those would leave the test
    server, so when ``served_origin`` is given that origin is rewritten to it in Location headers
    and text bodies (plain, JSON-escaped ``http:\\/\\/…`` and percent-encoded forms). Images
    and PDFs are served untouched.
    """

    def __init__(self, variant_dir: Path | str, served_origin: str | None = None) -> None:
        self.variant_dir = Path(variant_dir)
        self.manifest: dict[str, dict] = json.loads(
            (self.variant_dir / "manifest.json").read_text(encoding="utf-8")
        )
        self.recorded_origin: str = json.loads(
            (self.variant_dir / "variant.json").read_text(encoding="utf-8")
        )["origin"]
        self.served_origin = served_origin or self.recorded_origin
        self._canonical = {canonical_target(key): key for key in self.manifest}
        self._bodies: dict[str, bytes] = {}

    def lookup(self, target: str) -> dict | None:
        """The manifest entry for ``target``: the exact key first, then its canonical spelling."""
        key = target if target in self.manifest else self._canonical.get(canonical_target(target))
        return None if key is None else self.manifest[key]

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        """``(status, headers, body)`` for a request target; 404 for anything not recorded."""
        entry = self.lookup(target)
        if entry is None:
            return (
                404,
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(_NOT_FOUND)))],
                _NOT_FOUND,
            )
        body = self._body(entry["file"], entry["content_type"])
        headers = [("Content-Type", entry["content_type"])]
        if 300 <= entry["status"] < 400 and "location" in entry:
            headers.append(("Location", self._rewrite_location(entry["location"])))
        headers.append(("Content-Length", str(len(body))))
        return entry["status"], headers, body

    def _rewrite_location(self, location: str) -> str:
        if location.startswith(self.recorded_origin):
            return self.served_origin + location[len(self.recorded_origin) :]
        return location

    def _body(self, file: str, content_type: str) -> bytes:
        """Read a body once; text bodies get the origin rewritten once, then it is cached."""
        cached = self._bodies.get(file)
        if cached is None:
            cached = (self.variant_dir / file).read_bytes()
            if _is_text(content_type) and self.served_origin != self.recorded_origin:
                for old, new in (
                    (self.recorded_origin, self.served_origin),
                    (self.recorded_origin.replace("/", "\\/"), self.served_origin.replace("/", "\\/")),
                    (_percent(self.recorded_origin), _percent(self.served_origin)),
                ):
                    cached = cached.replace(old.encode(), new.encode())
            # Racing threads compute the same bytes; dict.setdefault keeps exactly one copy.
            cached = self._bodies.setdefault(file, cached)
        return cached


def _percent(origin: str) -> str:
    return origin.replace(":", "%3A").replace("/", "%2F")


class FixtureServer(LoopbackServer):
    """A :class:`FixtureSite` served on 127.0.0.1 (see :class:`LoopbackServer`)."""

    def __init__(self, variant_dir: Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.site = FixtureSite(variant_dir, served_origin=self.origin)

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        return self.site.respond(target)


def serve_forever(variant_dir: Path | str = DEMO_SITE_DIR, host: str = "127.0.0.1", port: int = 8088) -> None:
    """Serve ``variant_dir`` in the foreground until Ctrl-C, printing the origin first.

    Port 8088 is the recorded origin's port, so the pages then need no rewriting at all.
    """
    with FixtureServer(variant_dir, host, port) as server:
        print(f"Serving {Path(variant_dir)} at {server.origin}/ (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serve a recorded fixture site over HTTP.")
    parser.add_argument("variant_dir", nargs="?", default=DEMO_SITE_DIR, type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args()
    serve_forever(args.variant_dir, args.host, args.port)
