"""The loopback server's HTTP plumbing: HTTP/1.0 answers, the access log, refusals, stopping."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from newsspider.demo.loopback import Headers, LoopbackServer


class Echo(LoopbackServer):
    """Answers every target with the target itself; ``/boom`` is a bug in respond()."""

    def respond(self, target: str) -> tuple[int, Headers, bytes]:
        if target == "/boom":
            raise RuntimeError("a bug in respond()")
        body = target.encode("utf-8", "surrogateescape")
        return 200, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))], body


class LoopEcho(Echo):
    """The same, answered on the server's loop rather than on its pool of threads."""

    blocking_respond = False


@pytest.fixture(params=[Echo, LoopEcho])
def server(request: pytest.FixtureRequest) -> Iterator[Echo]:
    with request.param() as echo:
        yield echo


def address(server: LoopbackServer) -> tuple[str, int]:
    host, port = server.origin.removeprefix("http://").split(":")
    return host, int(port)


def raw(server: LoopbackServer, request: bytes) -> bytes:
    """Send ``request`` as it is; return everything the server sends until it closes."""
    with socket.create_connection(address(server), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_get_is_answered_in_http_1_0_and_the_connection_closed(server: Echo) -> None:
    answer = raw(server, b"GET /t%E1%BA%A1i?x=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: probe/1\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.0 200 OK"
    assert b"Content-Length: 16" in lines and b"Content-Type: text/plain" in lines
    assert any(line.startswith(b"Date: ") for line in lines)
    assert body == b"/t%E1%BA%A1i?x=1"
    assert server.requests == [("GET", "/t%E1%BA%A1i?x=1", 200)]
    assert server.user_agents == {"probe/1"}


def test_raw_utf8_targets_are_logged_as_the_client_meant_them(server: Echo) -> None:
    answer = raw(server, "GET /tin-tức HTTP/1.0\r\n\r\n".encode())
    assert answer.endswith("/tin-tức".encode())
    assert server.requests == [("GET", "/tin-tức", 200)]
    assert server.user_agents == {""}


def test_head_sends_the_headers_only(server: Echo) -> None:
    answer = raw(server, b"HEAD /abc HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 200 OK\r\n") and answer.endswith(b"Content-Length: 4\r\n\r\n")
    assert server.requests == [("HEAD", "/abc", 200)]


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /abc HTTP/1.0\r\nContent-Length: 0\r\n\r\n", b"501 Not Implemented"),
        (b"GET /a b HTTP/1.0\r\n\r\n", b"400 Bad Request"),
        (b"HELLO\r\n\r\n", b"400 Bad Request"),
        (b"GET /boom HTTP/1.0\r\n\r\n", b"500 Internal Server Error"),
    ],
)
def test_what_it_cannot_answer_gets_an_error_status(
    server: Echo, request_bytes: bytes, status: bytes
) -> None:
    assert raw(server, request_bytes).startswith(b"HTTP/1.0 " + status + b"\r\n")
    assert server.requests == []


def test_urllib_and_concurrent_clients_are_served(server: Echo) -> None:
    results: list[bytes] = []

    def fetch(n: int) -> None:
        with urllib.request.urlopen(server.url(f"/page/{n}"), timeout=10) as response:
            results.append(response.read())

    threads = [threading.Thread(target=fetch, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted(f"/page/{n}".encode() for n in range(20))
    assert len(server.requests) == 20


def test_stop_does_not_wait_for_a_client_that_never_finishes_its_request() -> None:
    server = Echo().start()
    with socket.create_connection(address(server), timeout=10) as idle:
        idle.sendall(b"GET /never-finished HTTP/1.0\r\n")
        time.sleep(0.3)  # accepted and waiting for the rest of its request
        server.stop()
        try:
            answer = idle.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""  # dropped, not answered
    server.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(address(server), timeout=2)
