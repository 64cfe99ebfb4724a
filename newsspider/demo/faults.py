"""A fixture site whose chosen pages misbehave the way real portals do, served on loopback.

:class:`FaultServer` serves a recorded site (:class:`newsspider.demo.server.FixtureSite`) like
:class:`~newsspider.demo.server.FixtureServer`, except for the request targets given a fault:

====================  ========================================================================
``http_500/502``      that status, every time
``http_503/429``      that status with ``Retry-After: 1``
``timeout``           accepts the request and never answers (until ``hang`` seconds pass)
``drip``              headers, then the body one byte every 0.3 s
``reset``             closes the connection with a TCP reset, nothing sent
``truncated``         ``Content-Length`` larger than the body, connection closed early
``empty``             ``200`` with an empty body
``wrong_type``        the page, declared ``image/jpeg``
``huge``              a 50 MB HTML page, streamed without ``Content-Length``
``huge_xml``          a 50 MB sitemap, streamed without ``Content-Length``
``redirect_loop``     ``302`` to ``?loop=1``, which ``302``\\s back
``redirect_offsite``  ``302`` to the same path on ``news.example.com``
``redirect_private``  ``302`` to ``http://10.0.0.1/…``
``redirect_metadata`` ``302`` to ``http://169.254.169.254/latest/meta-data/`` (cloud metadata)
``login_wall``        ``200``: a login form instead of the article
``error_page``        ``200``: a CMS error message instead of the article
``malformed_html``    the page cut short, with unclosed tags and stray bytes
``gzip_bomb``         ``Content-Encoding: gzip``, 64 MiB of zeros in 64 KiB
``xml_bomb``          "billion laughs": nested entities that expand to gigabytes
``xxe``               external entities naming ``/etc/passwd`` and this server's ``/xxe-probe``
``malformed_xml``     a feed cut short, unclosed tags and binary garbage
====================  ========================================================================

Loopback only. ``requests`` logs ``(method, target, status or fault, monotonic time)``.

    with FaultServer(variant_dir, {"/thoi-su/x-1.html": "http_503"}) as server:
        crawl(server.url("/"))
"""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from newsspider.demo.server import FixtureSite

__all__ = ["FAULTS", "FaultServer", "gzip_bomb"]

FAULTS = (
    "http_500", "http_502", "http_503", "http_429", "timeout", "drip", "reset", "truncated",
    "empty", "wrong_type", "huge", "huge_xml", "redirect_loop", "redirect_offsite",
    "redirect_private", "redirect_metadata", "login_wall", "error_page", "malformed_html",
    "gzip_bomb", "xml_bomb", "xxe", "malformed_xml",
)  # fmt: skip

_HTML = "text/html; charset=utf-8"
_XML = "text/xml; charset=utf-8"
_HUGE = 50 * 1024 * 1024
_CHUNK = 64 * 1024

_LOGIN_WALL = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập</title></head>
<body><div class="login"><h2>Bạn cần đăng nhập để xem nội dung này</h2>
<form method="post" action="/users/login/"><input name="nv_login" placeholder="Tên đăng nhập">
<input type="password" name="nv_password"><button>Đăng nhập</button></form></div></body></html>""".encode()
_ERROR_PAGE = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi</title></head>
<body><div class="alert alert-danger"><h1>Lỗi kết nối cơ sở dữ liệu</h1>
<p>Hệ thống đang bảo trì. Vui lòng quay lại sau.</p><p>Error: Sorry! Could not connect to data
server</p></div></body></html>""".encode()
_XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&lol9;</loc></url></urlset>
<rss version="2.0"><channel><item><link>&lol9;</link></item></channel></rss>
"""
_XXE = """<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY file SYSTEM "file:///etc/passwd">
<!ENTITY probe SYSTEM "{origin}/xxe-probe"><!ENTITY % remote SYSTEM "{origin}/xxe-probe.dtd"> %remote;]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{origin}/&file;</loc></url><url><loc>&probe;</loc></url></urlset>
"""
_MALFORMED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    b"<url><loc>http://\xff\xfe\x00broken<url><loc></lastmod>\x00\x01\x02<rss><channel><item><link>"
)


@functools.cache
def gzip_bomb(size: int = 64 * 1024 * 1024) -> bytes:
    """Return ``size`` zero bytes gzipped (64 MiB become about 64 KiB)."""
    return gzip.compress(bytes(size), compresslevel=9)


def _malformed(body: bytes) -> bytes:
    cut = body[: len(body) * 2 // 3]
    return cut + b"<div><table><tr><td><p><b>\x00\xff\xfe\xc3(</i></span>&#xD800;&bogus;<![CDATA[<!--"


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        target = self.path.encode("latin-1").decode("utf-8", "surrogateescape")
        path = target.split("?", 1)[0]
        fault = self.server.owner.faults.get(target) or self.server.owner.faults.get(path)
        if fault == "redirect_loop" and target == path + "?loop=1":
            self._log(target, "redirect_loop")
            return self._send(302, [("Location", self.server.owner.url(path))], b"")
        if target == "/xxe-probe" or target.startswith("/xxe-probe"):
            self.server.owner.xxe_probed = True
        if fault is None:
            status, headers, body = self.server.owner.site.respond(target)
            self._log(target, status)
            return self._send(status, headers, body, add_length=False)
        self._log(target, fault)
        self._fault(fault, target)

    def _fault(self, fault: str, target: str) -> None:  # noqa: C901 - one branch per fault
        owner = self.server.owner
        status, headers, body = owner.site.respond(target)
        content_type = next((value for name, value in headers if name == "Content-Type"), _HTML)
        if fault.startswith("http_"):
            code = int(fault[5:])
            extra = [("Retry-After", "1")] if code in (429, 503) else []
            page = f"<html><body><h1>{code}</h1></body></html>".encode()
            self._send(code, [("Content-Type", _HTML), *extra], page)
        elif fault == "timeout":
            owner.stopping.wait(owner.hang)
        elif fault == "drip":
            self._head(200, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            for byte in body:
                if owner.stopping.wait(0.3):
                    break
                if not self._write(bytes([byte])):
                    break
        elif fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif fault == "truncated":
            self._head(200, [("Content-Type", content_type), ("Content-Length", str(len(body) + 4096))])
            self._write(body[: len(body) // 2])
        elif fault == "empty":
            self._send(200, [("Content-Type", _HTML)], b"")
        elif fault == "wrong_type":
            self._send(200, [("Content-Type", "image/jpeg")], body)
        elif fault in ("huge", "huge_xml"):
            self._stream_huge(xml=fault == "huge_xml")
        elif fault.startswith("redirect_"):
            location = {
                "redirect_loop": owner.url(target.split("?", 1)[0] + "?loop=1"),
                "redirect_offsite": "http://news.example.com" + target,
                "redirect_private": "http://10.0.0.1" + target,
                "redirect_metadata": "http://169.254.169.254/latest/meta-data/",
            }[fault]
            self._send(302, [("Location", location), ("Content-Type", _HTML)], b"")
        elif fault == "login_wall":
            self._send(200, [("Content-Type", _HTML)], _LOGIN_WALL)
        elif fault == "error_page":
            self._send(200, [("Content-Type", _HTML)], _ERROR_PAGE)
        elif fault == "malformed_html":
            self._send(200, [("Content-Type", content_type)], _malformed(body))
        elif fault == "gzip_bomb":
            self._send(200, [("Content-Type", content_type), ("Content-Encoding", "gzip")], gzip_bomb())
        elif fault == "xml_bomb":
            self._send(200, [("Content-Type", _XML)], _XML_BOMB)
        elif fault == "xxe":
            self._send(200, [("Content-Type", _XML)], _XXE.format(origin=owner.origin).encode())
        elif fault == "malformed_xml":
            self._send(200, [("Content-Type", _XML)], _MALFORMED_XML)
        else:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")

    def _stream_huge(self, xml: bool) -> None:
        """Stream 50 MB with no Content-Length (the end is the connection closing)."""
        self.close_connection = True
        self._head(200, [("Content-Type", _XML if xml else _HTML)])
        if xml:
            head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            line = f"<url><loc>{self.server.owner.origin}/thoi-su/x-1.html</loc></url>\n".encode()
        else:
            head, line = b"<html><body>", "<p>Tin tức tỉnh nhà. Nội dung rất dài.</p>\n".encode()
        chunk = line * (_CHUNK // len(line))
        sent = self._write(head) and len(head)
        while sent and sent < _HUGE and not self.server.owner.stopping.is_set():
            sent = sent + len(chunk) if self._write(chunk) else 0

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, add_length: bool = True
    ) -> None:
        self._head(status, headers + ([("Content-Length", str(len(body)))] if add_length else []))
        self._write(body)

    def _head(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (size cap, timeout): expected
            self.close_connection = True
            return False
        return True

    def _log(self, target: str, outcome: int | str) -> None:
        with self.server.owner._lock:
            self.server.owner.requests.append((self.command, target, outcome, time.monotonic()))

    def log_message(self, format: str, *args: object) -> None:
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    """A fixture site on 127.0.0.1 whose ``faults`` targets misbehave; a context manager."""

    def __init__(
        self, variant_dir: Path | str, faults: Mapping[str, str], *, port: int = 0, hang: float = 10.0
    ) -> None:
        unknown = set(faults.values()) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}; known: {', '.join(FAULTS)}")
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.owner = self
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.site = FixtureSite(variant_dir, served_origin=self.origin)
        self.faults = dict(faults)
        if "gzip_bomb" in self.faults.values():
            gzip_bomb()  # made once, before a client waits for it
        self.hang = hang
        self.stopping = threading.Event()
        self.requests: list[tuple[str, str, int | str, float]] = []
        self.xxe_probed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"faults {self.origin}", daemon=True
        )

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` on this server."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    def hits(self, target: str) -> list[float]:
        """Return when ``target`` was requested (monotonic seconds)."""
        with self._lock:
            return [moment for _, logged, _, moment in self.requests if logged == target]

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.server_close()
