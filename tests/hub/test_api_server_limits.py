"""The hub API's bounds on slow, idle and too many clients, with real sockets against the
real server (hub.api.server: uvicorn with the bounded h11 protocol)."""

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import hub_settings
from tests.support.hub_server import serving

HEAD, BODY, IDLE = 0.6, 0.6, 1
GET = b"GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n"


@contextmanager
def running(sessions: sessionmaker[Session], **limits: Any) -> Iterator[uvicorn.Server]:
    settings = hub_settings(
        TENANT_KEY,
        api_header_timeout_seconds=limits.get("head", HEAD),
        api_body_timeout_seconds=BODY,
        api_keep_alive_seconds=IDLE,
        api_max_concurrency=limits.get("concurrency", 100),
    )
    with serving(settings, sessions) as server:
        yield server


def _connect(server: uvicorn.Server) -> socket.socket:
    port = server.servers[0].sockets[0].getsockname()[1]
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _closed_after(sock: socket.socket, started: float, drip: bytes = b"") -> tuple[float, bytes]:
    """Seconds from `started` until the server closes `sock`, and what it sent; feeds it
    `drip` a byte per 0.1 s meanwhile (a slowloris client). At most 10 s."""
    got = b""
    sock.settimeout(0.1 if drip else 5)
    i = 0
    while time.monotonic() - started < 10:  # gives up: the server never closed it
        i += 1
        if drip:
            try:
                sock.send(drip[i % len(drip) : i % len(drip) + 1])
            except OSError:
                break
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        got += chunk
    return time.monotonic() - started, got


def _response(sock: socket.socket) -> bytes:
    """The head of one whole response (its body read and dropped)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    lengths = [
        h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")
    ]
    while len(body) < int(lengths[0] if lengths else 0):
        body += sock.recv(4096)
    return head


def test_a_connection_that_sends_nothing_is_closed(sessions: sessionmaker[Session]) -> None:
    with running(sessions) as server, _connect(server) as sock:
        elapsed, got = _closed_after(sock, time.monotonic())
    assert got == b"" and HEAD * 0.9 <= elapsed < HEAD + 2


def test_headers_dripped_a_byte_at_a_time_are_cut_off_at_the_head_timeout(
    sessions: sessionmaker[Session],
) -> None:
    with running(sessions) as server, _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        elapsed, got = _closed_after(sock, started, drip=b"X-Slow: aaaaaaaa\r\n")
    assert got == b"" and HEAD * 0.9 <= elapsed < HEAD + 2  # the drip did not extend it


def test_a_stalled_body_is_cut_off_and_a_slow_but_steady_one_is_not(
    sessions: sessionmaker[Session],
) -> None:
    head = b"POST /auth/logout HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
    with running(sessions) as server:
        with _connect(server) as sock:
            sock.sendall(head + b"Content-Length: 100\r\n\r\n" + b'{"refresh_token": "')
            elapsed, got = _closed_after(sock, time.monotonic())
        assert got == b"" and BODY * 0.9 <= elapsed < BODY + 2
        body = b'{"refresh_token": "sprt_nobody-has-this-token"}'
        with _connect(server) as sock:  # a byte per 0.1 s: longer than BODY in all, never idle
            sock.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body))
            started = time.monotonic()
            for i in range(0, len(body), 4):
                sock.sendall(body[i : i + 4])
                time.sleep(0.1)
            assert time.monotonic() - started > BODY
            assert _response(sock).startswith(b"HTTP/1.1 204")


def test_an_idle_keep_alive_connection_is_closed(sessions: sessionmaker[Session]) -> None:
    with running(sessions) as server, _connect(server) as sock:
        sock.sendall(GET)
        assert _response(sock).startswith(b"HTTP/1.1 200")
        elapsed, got = _closed_after(sock, time.monotonic())
    assert got == b"" and IDLE * 0.9 <= elapsed < IDLE + 2


def test_requests_beyond_the_concurrency_limit_get_503(sessions: sessionmaker[Session]) -> None:
    with running(sessions, head=30, concurrency=4) as server:
        idle = [_connect(server) for _ in range(3)]
        deadline = time.monotonic() + 5
        while len(server.server_state.connections) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with _connect(server) as sock:
            sock.sendall(GET)
            assert _response(sock).startswith(b"HTTP/1.1 503")
        for sock in idle:
            sock.close()
        while len(server.server_state.connections) > 0:
            assert time.monotonic() < deadline + 5
            time.sleep(0.01)
        with _connect(server) as sock:
            sock.sendall(GET)
            assert _response(sock).startswith(b"HTTP/1.1 200")
