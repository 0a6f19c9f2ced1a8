"""The store page on a real uvicorn server on a free loopback port, with its device file in a
temporary directory, and the clients that use it: httpx as a paired device, headless
Debian Chromium (Playwright, no browser download) as a tablet."""

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from edge.errors import OutboxFull
from edge.prompts import Prompt, compose_prompt
from edge.store_device.access import CSRF_HEADER, DeviceAccess
from edge.store_device.clerks import ClerkConfig, hash_pin
from edge.store_device.db import DeviceDb
from edge.store_device.guard import allowed_host_names
from edge.store_device.pairing import new_code
from edge.store_device.registry import DeviceRegistry
from edge.store_locale import StoreLocale
from edge.store_page import PromptBus, build_store_app, make_server
from tests.support.browser import CHROMIUM, FLAGS
from tests.support.net import free_port
from wire.events import CardTapped
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
TASK_DUE = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 the next morning in Shanghai
AMOX = "阿莫西林胶囊 0.25g*24 x2"
TAPPED = datetime(2026, 12, 2, 7, 18, tzinfo=UTC)  # 15:18 in Shanghai (UTC+8, no DST)
UID = "04A1B2C3D4E5F6"
CLERK_PIN = "2468"


def clerk(staff_id: str = "S07", name: str = "张敏", pin: str = CLERK_PIN) -> ClerkConfig:
    return ClerkConfig(staff_id=staff_id, name=name, pin_hash=hash_pin(pin))


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


def make_prompt(
    name: str = "Wang *",
    uid: str = UID,
    store_locale: StoreLocale | None = None,
    now: datetime | None = None,
) -> Prompt:
    customer = CachedCustomer(
        customer_id="c42",
        display_name=name,
        identifiers=[Identifier(kind=IdentifierKind.CARD_UID, value=uid)],
        last_purchases=[
            PurchaseSummary(at=NOW, receipt_no="R1", summary=AMOX, total=3650),
            PurchaseSummary(at=NOW, receipt_no="R0", summary="维生素C片 100mg*100", total=1200),
        ],
        tags=["高血压", "会员"],
        open_tasks=[TaskSummary(task_id="t1", title="复购提醒：降压药", due_at=TASK_DUE)],
        offers=["今日积分翻倍"],
        updated_at=NOW,
    )
    tap = CardTapped(uid=uid, technology="Type3Tag", reader="nfc-1")
    prompt = compose_prompt(tap, customer, store_locale=store_locale or StoreLocale(), now=now)
    assert prompt is not None
    return prompt


class Recorder:
    """The gateway's on_acted or on_service: records calls (prompt, action or service type,
    clerk); can be told to fail like a full outbox."""

    def __init__(self) -> None:
        self.calls: list[tuple[UUID, str, str | None]] = []
        self.for_ids: list[str | None] = []  # on_service: whom a 家属代购 was for
        self.fail = False

    async def __call__(
        self, prompt_id: UUID, what: str, staff_id: str | None, for_id: str | None = None
    ) -> None:
        if self.fail:
            raise OutboxFull("outbox full")
        self.calls.append((prompt_id, what, staff_id))
        self.for_ids.append(for_id)


class Served:
    def __init__(
        self,
        app: FastAPI,
        bus: PromptBus,
        recorders: tuple[Recorder, Recorder],
        db: DeviceDb,
        port: int,
    ) -> None:
        self.bus, self.db = bus, db
        self.acted, self.services = recorders
        self.registry = DeviceRegistry(db)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.server = make_server(app, port)
        self.thread = threading.Thread(target=self.server.run, name="store-page", daemon=True)

    def start(self) -> "Served":
        self.thread.start()
        wait_until(lambda: self.server.started)
        return self

    def stop(self) -> None:
        self.bus.close()
        self.server.should_exit = True
        self.thread.join(10)
        assert not self.thread.is_alive()
        self.db.close()

    def code(self, name: str = "收银台 1") -> str:
        """A pairing code, as `storepulse edge pair-device` makes one."""
        return new_code(self.db, name).code

    def pair(self, name: str = "收银台 1") -> httpx.Client:
        """An httpx client that is a paired device (cookie jar + CSRF header)."""
        response = httpx.post(f"{self.url}/device/pair", json={"code": self.code(name)})
        assert response.status_code == 200, response.text
        return httpx.Client(
            base_url=self.url,
            timeout=5,
            cookies=response.cookies,
            headers={CSRF_HEADER: response.json()["csrf_token"]},
        )


@contextmanager
def serve_page(
    workdir: Path,
    store_locale: StoreLocale | None = None,
    clerks: Sequence[ClerkConfig] = (),
    recheck_s: float = 30.0,
) -> Iterator[Served]:
    bus, acted, services = PromptBus(keep=20), Recorder(), Recorder()
    db = DeviceDb(workdir / "devices.sqlite3").open()
    access = DeviceAccess(
        DeviceRegistry(db),
        allowed_host_names("127.0.0.1", ["store-pc.local"]),
        tls=False,
        clerks=clerks,
        recheck_s=recheck_s,
    )
    app = build_store_app(
        bus,
        acted,
        lambda: {"ok": True, "outbox_depth": 3},
        access=access,
        on_service=services,
        store_locale=store_locale or StoreLocale(),
        ping_seconds=0.3,
    )
    running = Served(app, bus, (acted, services), db, free_port()).start()
    try:
        yield running
    finally:
        running.stop()


def sse_events(response: httpx.Response) -> Iterator[tuple[str, str]]:
    """(event, data) per server-sent event; comments come through as ('comment', text)."""
    event, data = "message", []
    for line in response.iter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "" and data:
            yield event, "\n".join(data)
            event, data = "message", []


@contextmanager
def clerk_browser(paired: httpx.Client | None = None, url: str = "") -> Iterator[Any]:
    """A page in headless Chromium on a device whose own zone and language are neither the
    store's (a tablet left on New York time, US English): what it shows must come from
    the gateway's config, not from the device. With `paired`, the browser holds that
    client's device cookie (as if it had been paired through the form)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(
                timezone_id="America/New_York",
                locale="en-US",
                viewport={"width": 1000, "height": 900},
            )
            if paired is not None:
                cookies = [
                    {"name": c.name, "value": c.value or "", "url": url} for c in paired.cookies.jar
                ]
                context.add_cookies(cookies)
            yield context.new_page()
        finally:
            browser.close()
