"""A small HTTP server on a daemon thread, for the demo portal, the tests and the benchmarks.

Subclasses say what a request target answers (:meth:`LoopbackServer.respond`); this module does
the HTTP plumbing, the thread, the access log and the context-manager lifecycle once.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

__all__ = ["Headers", "LoopbackServer"]

Headers = list[tuple[str, str]]


class LoopbackServer:
    """Answer GET and HEAD from :meth:`respond` on a daemon thread; use as a context manager.

    ``port=0`` picks a free port. ``requests`` is the in-memory access log: one
    ``(method, target, status)`` per request, ``target`` as sent (raw UTF-8 decoded), in order;
    ``user_agents`` holds every User-Agent that asked.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        self.origin = f"http://{host}:{self._httpd.server_address[1]}"
        self.requests: list[tuple[str, str, int]] = []
        self.user_agents: set[str] = set()
        self._log_lock = threading.Lock()
        self._thread = threading.Thread(  # a short poll: stop() returns in 50 ms, not 0.5 s
            target=functools.partial(self._httpd.serve_forever, poll_interval=0.05),
            name=f"{type(self).__name__} {self.origin}",
            daemon=True,
        )

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        """Return ``(status, headers, body)`` for a request target; subclasses say what."""
        raise NotImplementedError

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` (a request target such as ``/tag/x?page=2``) on this server."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def _record(self, method: str, target: str, status: int, user_agent: str) -> None:
        with self._log_lock:
            self.requests.append((method, target, status))
            self.user_agents.add(user_agent)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        # http.server decodes the request line as Latin-1; get the UTF-8 text the client meant.
        target = self.path.encode("latin-1").decode("utf-8", "surrogateescape")
        owner = self.server.owner
        status, headers, body = owner.respond(target)
        owner._record(self.command, target, status, self.headers.get("User-Agent", ""))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("NEWSSPIDER_FIXTURE_SERVER_LOG") == "1":
            super().log_message(format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer
