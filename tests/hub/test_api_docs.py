"""/docs renders in headless Debian Chromium with every request off the hub refused, as on a
hub or store with no internet: Swagger UI's assets come from an installed package."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from hub.api import build_api
from hub.db import make_engine, make_session_factory
from tests.support.artefacts import artefact_path
from tests.support.browser import chromium_page
from tests.support.hub_auth import hub_settings
from tests.support.net import free_port


@pytest.fixture
def hub_api(pg_url: str) -> Iterator[str]:
    """The hub's API under a real uvicorn on a free loopback port (the docs need no tables)."""
    engine = make_engine(pg_url)
    settings = hub_settings(b"docs-test-tenant-key-0123456789")
    app = build_api(settings, make_session_factory(engine))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="hub-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    engine.dispose()


class Offline:
    """Lets a page reach only the hub; records (and aborts) every other request."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.refused: list[str] = []

    def __call__(self, route: Any) -> None:
        url: str = route.request.url
        if url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("internetdisconnected")


def _browse_docs(origin: str) -> list[str]:
    """Open /docs offline, wait until Swagger UI has drawn the API, keep a screenshot; return
    the requests that tried to leave the hub."""
    from playwright.sync_api import expect

    offline = Offline(origin)
    with chromium_page() as page:
        page.route("**/*", offline)
        page.goto(f"{origin}/docs")
        title = page.locator(".swagger-ui .info .title")
        expect(title).to_contain_text("StorePulse hub", timeout=15_000)
        expect(page.locator(".opblock-summary-path").first).to_be_visible()
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        page.screenshot(path=str(artefact_path("hub-docs-offline.png")), full_page=True)
    assert "/customers/{customer_id}" in [p.replace("\u200b", "") for p in paths]
    return offline.refused


def test_swagger_ui_renders_with_no_network(hub_api: str) -> None:
    assert _browse_docs(hub_api) == []
