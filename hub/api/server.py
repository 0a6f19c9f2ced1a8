"""The API's uvicorn server, with bounds on slow and idle clients.

uvicorn closes an idle keep-alive connection (`timeout_keep_alive`) and answers 503 past
`limit_concurrency`, but its h11 protocol waits forever for a connection that sends
nothing, or part of a request line and headers, or part of a body. `_BoundedH11` adds
those two timers at the protocol, where the bytes arrive:
- head: from the connection's opening (or the first byte after a keep-alive wait) until
  the whole request head is in; not reset by more bytes, so a slow drip cannot stretch it;
- body: while a request body is expected, each wait for the next bytes.
When one runs out the connection is closed; a route waiting for the body sees a disconnect.
"""

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from hub.settings import HubSettings

log = logging.getLogger(__name__)


class _BoundedH11(H11Protocol):
    head_timeout = 10.0  # set on the subclass bounded_h11() makes
    body_timeout = 15.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._phase: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("head", self.head_timeout)

    def data_received(self, data: bytes) -> None:
        if self._phase is None and self.conn.their_state is h11.IDLE:
            self._arm("head", self.head_timeout)  # first byte of the next request
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm("body", self.body_timeout)  # bytes came: the wait starts again
        elif state is not h11.IDLE:
            self._disarm()  # the request is in: the app's time is not the client's

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, phase: str, seconds: float) -> None:
        if self._timer is not None:
            if self._phase == phase == "head":
                return  # the head's deadline runs from its first byte
            self._timer.cancel()
        self._phase = phase
        self._timer = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._phase = None, None

    def _expired(self) -> None:
        phase, self._timer, self._phase = self._phase, None, None
        if self.transport.is_closing():
            return
        if phase == "body" and self.flow.read_paused:
            self._arm("body", self.body_timeout)  # we stopped reading, not the client
            return
        log.info("hub API: closed a connection from %s: %s timeout", self.client, phase)
        self.transport.close()


def bounded_h11(head_timeout: float, body_timeout: float) -> type[H11Protocol]:
    return type(
        "BoundedH11", (_BoundedH11,), {"head_timeout": head_timeout, "body_timeout": body_timeout}
    )


def api_server(app: FastAPI, settings: HubSettings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        http=bounded_h11(settings.api_header_timeout_seconds, settings.api_body_timeout_seconds),
        timeout_keep_alive=settings.api_keep_alive_seconds,
        limit_concurrency=settings.api_max_concurrency,
    )
    return uvicorn.Server(config)
