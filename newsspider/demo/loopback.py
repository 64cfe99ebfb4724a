"""A small HTTP server on a daemon thread, for the demo portal, the tests and the benchmarks.

Subclasses say what a request target answers (:meth:`LoopbackServer.respond`); this module does
the HTTP plumbing, the thread, the access log and the context-manager lifecycle once.

It speaks HTTP/1.0 as ``http.server`` does (one request per connection, closed after the
answer), with connections on an asyncio loop and :meth:`LoopbackServer.respond` on a pool of
threads, unless a subclass says it never blocks. ``http.server`` started a thread and ran the
email package's header parser for every request: ~0.8 ms of CPU a page, which on a 2-core
machine the benchmarks' crawls had to share with it (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Self

__all__ = ["Headers", "LoopbackServer"]

Headers = list[tuple[str, str]]

_SERVER = f"BaseHTTP/0.6 Python/{sys.version.split()[0]}"  # what http.server sent
_MAX_HEAD = 65536  # request line and headers; more is refused, as http.server does
_REQUEST_TIMEOUT = 60.0  # a client that sends no complete request by then is dropped
_THREADS = 64  # requests answered at once; more wait for a thread


class LoopbackServer:
    """Answer GET and HEAD from :meth:`respond` on a daemon thread; use as a context manager.

    ``port=0`` picks a free port. ``requests`` is the in-memory access log: one
    ``(method, target, status)`` per request, ``target`` as sent (raw UTF-8 decoded), in order;
    ``user_agents`` holds every User-Agent that asked.
    """

    # respond() may block (a test site sleeping to count concurrent requests): it is called on
    # a pool of _THREADS threads. A subclass whose respond() never blocks says False and is
    # answered on the loop itself, ~0.2 ms of CPU a request less (the hand-offs to a thread).
    blocking_respond = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.create_server((host, port), backlog=128)
        self.origin = f"http://{host}:{self._socket.getsockname()[1]}"
        self.requests: list[tuple[str, str, int]] = []
        self.user_agents: set[str] = set()
        self._log_lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._responders = ThreadPoolExecutor(_THREADS, thread_name_prefix=f"{type(self).__name__} respond")
        self._stopped: asyncio.Event | None = None
        self._writers: set[asyncio.StreamWriter] = set()  # the open connections
        self._started = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, name=f"{type(self).__name__} {self.origin}", daemon=True
        )

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        """Return ``(status, headers, body)`` for a request target; subclasses say what."""
        raise NotImplementedError

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` (a request target such as ``/tag/x?page=2``) on this server."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    def start(self) -> Self:
        self._thread.start()
        self._started.wait()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (idempotent)."""
        if self._thread.is_alive():
            stopped = self._stopped
            assert stopped is not None
            self._loop.call_soon_threadsafe(stopped.set)
            self._thread.join()
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()
        self._responders.shutdown(wait=False, cancel_futures=True)
        self._socket.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._socket, limit=_MAX_HEAD)
        self._started.set()
        await self._stopped.wait()
        server.close()
        # Connections still open (a client that never finished its request) are dropped. One
        # the loop accepts at this very moment is abandoned by asyncio itself (CPython 3.11: the
        # closed server refuses its transport) and closed when it is garbage collected.
        while True:
            await asyncio.sleep(0)
            for writer in self._writers:
                writer.transport.abort()
            if not (others := asyncio.all_tasks() - {asyncio.current_task()}):
                return
            await asyncio.wait(others)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _REQUEST_TIMEOUT)
            try:
                if self.blocking_respond:
                    response = await self._loop.run_in_executor(self._responders, self._answer, head)
                else:
                    response = self._answer(head)
            except Exception:  # noqa: BLE001 - a bug in respond(): say so, as http.server did
                traceback.print_exc()
                response = _status_only(HTTPStatus.INTERNAL_SERVER_ERROR)
            writer.write(response)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            pass  # the client went away, or never sent a whole request
        finally:
            writer.close()
            self._writers.discard(writer)

    def _answer(self, head: bytes) -> bytes:
        """Return the whole response (status line, headers, body) to a request's head."""
        request_line, _, header_lines = head.partition(b"\r\n")
        words = request_line.split()
        if len(words) != 3 or not words[2].startswith(b"HTTP/"):
            return _status_only(HTTPStatus.BAD_REQUEST)
        method = words[0].decode("latin-1")
        if method not in ("GET", "HEAD"):
            return _status_only(HTTPStatus.NOT_IMPLEMENTED)
        # the target as the client meant it: UTF-8, any stray byte kept as a surrogate
        target = words[1].decode("utf-8", "surrogateescape")
        status, headers, body = self.respond(target)
        self._record(method, target, status, _header(header_lines, b"user-agent"))
        if os.environ.get("NEWSSPIDER_FIXTURE_SERVER_LOG") == "1":
            print(f'{self.origin} "{request_line.decode("latin-1")}" {status} -', file=sys.stderr)
        return _response(status, headers, body if method == "GET" else b"")

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


def _header(lines: bytes, name: bytes) -> str:
    """Return the value of header ``name`` (lower case) in a request's header lines, or ""."""
    for line in lines.split(b"\r\n"):
        key, colon, value = line.partition(b":")
        if colon and key.strip().lower() == name:
            return value.strip().decode("latin-1")
    return ""


def _response(status: int, headers: Headers, body: bytes) -> bytes:
    """Return an HTTP/1.0 response: status line, the headers http.server sent, ``headers``, body."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.0 {status} {phrase}", f"Server: {_SERVER}", f"Date: {formatdate(usegmt=True)}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _status_only(status: HTTPStatus) -> bytes:
    return _response(status, [("Content-Length", "0")], b"")
