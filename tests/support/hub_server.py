"""The hub API under its real server (hub.api.server: uvicorn, bounded h11) on a free
loopback port, in a thread, for tests that need real sockets or a browser."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.api.server import api_server
from hub.settings import HubSettings
from tests.support.net import free_port


@contextmanager
def serving(settings: HubSettings, sessions: sessionmaker[Session]) -> Iterator[uvicorn.Server]:
    settings = settings.model_copy(update={"api_host": "127.0.0.1", "api_port": free_port()})
    server = api_server(build_api(settings, sessions), settings)
    thread = threading.Thread(target=server.run, name="hub-api-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(10)


def origin(server: uvicorn.Server) -> str:
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"
