"""The store page against a real uvicorn server on a free port: httpx for the API and the
SSE stream, headless Debian Chromium (Playwright, no browser download) for the page.
Screenshots of the page in each locale are kept (tests/support/artefacts.py)."""

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from edge.errors import OutboxFull
from edge.prompts import Prompt, compose_prompt
from edge.store_locale import StoreLocale
from edge.store_page import Action, PromptBus, build_store_app, make_server
from tests.support.artefacts import artefact_path
from tests.support.net import free_port
from wire.events import CardTapped
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
TASK_DUE = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 09:00 the next morning in Shanghai
AMOX = "阿莫西林胶囊 0.25g*24 x2"
TAPPED = datetime(2026, 12, 2, 7, 18, tzinfo=UTC)  # 15:18 in Shanghai (UTC+8, no DST)
UID = "04A1B2C3D4E5F6"


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


class Acted:
    """The gateway's on_acted: records calls; can be told to fail like a full outbox."""

    def __init__(self) -> None:
        self.calls: list[tuple[UUID, Action, str | None]] = []
        self.fail = False

    async def __call__(self, prompt_id: UUID, action: Action, staff_id: str | None) -> None:
        if self.fail:
            raise OutboxFull("outbox full")
        self.calls.append((prompt_id, action, staff_id))


class Served:
    def __init__(self, app: FastAPI, bus: PromptBus, acted: Acted) -> None:
        self.bus, self.acted = bus, acted
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server(app, self.port)
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


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """A page in the default locale (zh-CN), or in the StoreLocale given by indirect param."""
    store_locale = getattr(request, "param", StoreLocale())
    bus, acted = PromptBus(keep=20), Acted()
    app = build_store_app(
        bus,
        acted,
        lambda: {"ok": True, "outbox_depth": 3},
        store_locale=store_locale,
        ping_seconds=0.3,
    )
    running = Served(app, bus, acted).start()
    yield running
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


def test_sse_sends_recent_then_live_prompts_and_pings(served: Served) -> None:
    early, late = make_prompt("Early *"), make_prompt("Late *")
    served.bus.publish(early)
    with httpx.stream("GET", f"{served.url}/prompts/stream", timeout=5) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
        assert next(events) == ("comment", "storepulse")  # subscribed from here on
        kind, data = next(e for e in events if e[0] != "comment")
        assert kind == "prompt" and json.loads(data)["display_name"] == "Early *"
        served.bus.publish(late)
        kind, data = next(e for e in events if e[0] != "comment")
        body = json.loads(data)
        assert (kind, body["prompt_id"], body["state"]) == ("prompt", str(late.prompt_id), "open")
        assert body["last_purchases"][0]["summary"] == AMOX
        assert UID not in data and body["identifier_label"] == "卡号 ••••E5F6"
        assert Prompt.model_validate({k: v for k, v in body.items() if k != "state"}) == (
            late.model_copy(update={"identifier": None})
        )
        assert next(events)[1].startswith("ping")  # keep-alive while idle
        httpx.post(f"{served.url}/prompts/{late.prompt_id}/acted", json={"action": "done"})
        kind, data = next(e for e in events if e[0] != "comment")
        assert (kind, json.loads(data)) == (
            "acted",
            {"prompt_id": str(late.prompt_id), "state": "done"},
        )
    wait_until(lambda: served.bus.stats()["subscribers"] == 0)  # disconnect unsubscribes


def test_acted_calls_on_acted_once(served: Served) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    url = f"{served.url}/prompts/{prompt.prompt_id}/acted"
    response = httpx.post(url, json={"action": "dismissed", "staff_id": "s7"})
    assert response.status_code == 202
    assert response.json() == {"prompt_id": str(prompt.prompt_id), "state": "dismissed"}
    assert served.acted.calls == [(prompt.prompt_id, "dismissed", "s7")]
    assert httpx.post(url, json={"action": "done"}).status_code == 409
    assert len(served.acted.calls) == 1
    recent = httpx.get(f"{served.url}/prompts/recent").json()
    assert [(p["prompt_id"], p["state"]) for p in recent] == [(str(prompt.prompt_id), "dismissed")]


def test_acted_errors(served: Served) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    url = f"{served.url}/prompts/{prompt.prompt_id}/acted"
    unknown = f"{served.url}/prompts/0190a000-0000-7000-8000-000000000009/acted"
    assert httpx.post(unknown, json={"action": "done"}).status_code == 404
    assert httpx.post(url, json={"action": "sold"}).status_code == 422
    assert httpx.post(url, json={"action": "done", "x": 1}).status_code == 422
    assert (
        httpx.post(f"{served.url}/prompts/nope/acted", json={"action": "done"}).status_code == 422
    )
    served.acted.fail = True
    assert httpx.post(url, json={"action": "done"}).status_code == 503
    served.acted.fail = False  # the clerk presses again once the outbox has room
    assert httpx.post(url, json={"action": "done"}).status_code == 202
    assert served.acted.calls == [(prompt.prompt_id, "done", None)]


def test_page_health_recent_and_static(served: Served) -> None:
    first, second = make_prompt("A *"), make_prompt("B *")
    served.bus.publish(first)
    served.bus.publish(second)
    assert httpx.get(f"{served.url}/healthz").json() == {"ok": True, "outbox_depth": 3}
    names = [p["display_name"] for p in httpx.get(f"{served.url}/prompts/recent").json()]
    assert names == ["B *", "A *"]  # newest first
    page = httpx.get(f"{served.url}/")
    assert page.status_code == 200 and "/static/store.js" in page.text
    assert "EventSource" in httpx.get(f"{served.url}/static/store.js").text
    assert httpx.get(f"{served.url}/static/store.css").status_code == 200


def test_bus_keeps_last_n() -> None:
    bus = PromptBus(keep=3)
    prompts = [make_prompt(f"P{i} *") for i in range(5)]
    for prompt in prompts:
        bus.publish(prompt)
    assert [p.display_name for p, _ in bus.recent()] == ["P4 *", "P3 *", "P2 *"]
    assert bus.get(prompts[0].prompt_id) is None and bus.claim(prompts[0].prompt_id) == "unknown"


def test_bus_drops_a_slow_subscriber_without_blocking() -> None:
    async def scenario() -> None:
        bus = PromptBus(keep=5, subscriber_limit=4)
        slow, _ = bus.subscribe()
        fast, _ = bus.subscribe()
        received: list[str] = []

        async def consume() -> None:
            while (notice := await fast.next()) is not None:
                received.append(json.loads(notice.data)["display_name"])

        consumer = asyncio.create_task(consume())
        for i in range(10):  # the slow page never reads
            bus.publish(make_prompt(f"P{i} *"))
            await asyncio.sleep(0)  # let the fast page read, as a live page would
        assert slow.closed and await slow.next() is None
        assert bus.stats()["subscribers"] == 1
        # a publish from another thread (a reader thread) reaches the page too
        await asyncio.to_thread(bus.publish, make_prompt("Thread *"))
        while len(received) < 11:
            await asyncio.sleep(0.01)
        bus.close()
        await asyncio.wait_for(consumer, 5)
        assert received == [f"P{i} *" for i in range(10)] + ["Thread *"]
        assert bus.stats()["subscribers"] == 0

    asyncio.run(scenario())


@contextmanager
def clerk_browser() -> Iterator[Any]:
    """A page in headless Chromium on a device whose own zone and language are neither the
    store's (a tablet left on New York time, US English): what it shows must come from
    the gateway's config, not from the device."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                timezone_id="America/New_York",
                locale="en-US",
                viewport={"width": 1000, "height": 900},
            )
            yield context.new_page()
        finally:
            browser.close()


def test_clerk_page_in_chromium(served: Served) -> None:
    """The default page (zh-CN, Asia/Shanghai): Chinese labels and 24-hour store times."""
    from playwright.sync_api import expect

    with clerk_browser() as page:
        page.goto(served.url)
        conn = page.get_by_test_id("connection")
        expect(conn).to_have_attribute("data-state", "live")
        expect(conn).to_have_text("● 在线")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.locator("#empty")).to_have_text("— 等待顾客 —")
        assert page.title() == "StorePulse 店员提示"
        first = make_prompt("王*", now=TAPPED)
        served.bus.publish(first)
        card = page.get_by_test_id("prompt").first
        expect(card.locator('[data-field="title"]')).to_have_text("会员卡")
        expect(card.get_by_test_id("prompt-time")).to_have_text("2026-12-02 15:18")
        expect(card).to_contain_text("王*")
        expect(card).to_contain_text("卡号 ••••E5F6")
        purchases = card.locator('[data-field="purchases"] li')
        expect(purchases.first).to_have_text(f"2024-05-01 17:30  {AMOX}  36.50 CNY")
        expect(card.locator("h3")).to_have_text(["最近购买", "待办", "推荐"])
        tasks = card.locator('[data-field="tasks"] li')
        expect(tasks).to_have_text(["复购提醒：降压药  （截止 2026-12-03 09:00）"])
        expect(card).to_contain_text("今日积分翻倍")
        expect(card.get_by_role("button")).to_have_text(["完成", "忽略"])
        second = make_prompt("Li *", uid="0499887766")
        served.bus.publish(second)
        expect(page.get_by_test_id("prompt")).to_have_count(2)
        expect(page.get_by_test_id("prompt").first).to_contain_text("Li *")  # newest on top
        wang = page.get_by_test_id("prompt").filter(has_text="王*")
        wang.get_by_role("button", name="完成").click()
        expect(wang).to_have_attribute("data-state", "done")
        expect(wang.locator('[data-field="state"]')).to_have_text("✓ 已完成")
        assert served.acted.calls == [(first.prompt_id, "done", None)]
        assert UID not in page.content()
        page.screenshot(path=str(artefact_path("store-page-zh-CN.png")))
        _reconnects_by_itself(page, served, conn)


@pytest.mark.parametrize("served", [StoreLocale("en")], indirect=True)
def test_clerk_page_in_english(served: Served) -> None:
    """locale = "en": the same page in English, times still the store's, 24-hour."""
    from playwright.sync_api import expect

    with clerk_browser() as page:
        page.goto(served.url)
        expect(page.get_by_test_id("connection")).to_have_text("● Live")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#empty")).to_have_text("— Waiting for customers —")
        prompt = make_prompt("Wang *", store_locale=StoreLocale("en"), now=TAPPED)
        served.bus.publish(prompt)
        card = page.get_by_test_id("prompt").first
        expect(card.locator('[data-field="title"]')).to_have_text("Member card")
        expect(card.get_by_test_id("prompt-time")).to_have_text("2026-12-02 15:18")
        expect(card).to_contain_text("Card ••••E5F6")
        expect(card.locator("h3")).to_have_text(["Last purchases", "Open tasks", "Offer"])
        expect(card.locator('[data-field="tasks"] li')).to_have_text(
            ["复购提醒：降压药  (due 2026-12-03 09:00)"]
        )
        expect(card.get_by_role("button")).to_have_text(["Done", "Dismiss"])
        card.get_by_role("button", name="Dismiss").click()
        expect(card.locator('[data-field="state"]')).to_have_text("— Dismissed")
        page.screenshot(path=str(artefact_path("store-page-en.png")))


@pytest.mark.parametrize("served", [StoreLocale("en", "Europe/London")], indirect=True)
def test_retry_label_is_in_the_locale(served: Served) -> None:
    from playwright.sync_api import expect

    with clerk_browser() as page:
        page.goto(served.url)
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        served.bus.publish(make_prompt(store_locale=StoreLocale("en", "Europe/London"), now=NOW))
        card = page.get_by_test_id("prompt").first
        expect(card.get_by_test_id("prompt-time")).to_have_text("2024-05-01 10:30")  # BST
        served.acted.fail = True  # the outbox is full: the page says so and lets them retry
        card.get_by_role("button", name="Done").click()
        expect(card.locator('[data-field="state"]')).to_have_text(
            "! Not recorded, try again (HTTP 503)"
        )
        expect(card.get_by_role("button", name="Done")).to_be_enabled()


def _reconnects_by_itself(page: Any, served: Served, conn: Any) -> None:
    from playwright.sync_api import expect

    served.bus.close()  # ends the stream, as a gateway restart would
    expect(conn).to_have_attribute("data-opens", "2", timeout=10_000)
    expect(conn).to_have_attribute("data-state", "live")
    served.bus.publish(make_prompt("Zhao *", uid="04FFFF0001"))
    expect(page.get_by_test_id("prompt").first).to_contain_text("Zhao *")
    expect(page.get_by_test_id("prompt")).to_have_count(3)  # replayed backlog not duplicated


def test_bus_replace_redraws_a_kept_prompt_and_keeps_its_state() -> None:
    bus = PromptBus(keep=3)
    shown = make_prompt("New customer")
    bus.publish(shown)
    bus.settle(shown.prompt_id, "done")
    assert bus.replace(shown.model_copy(update={"display_name": "Li *"}))
    [(redrawn, state)] = bus.recent()
    assert (redrawn.display_name, state) == ("Li *", "done")
    assert not bus.replace(make_prompt("Not kept *")), "an unknown id is not added"
    assert len(bus.recent()) == 1


def test_page_redraws_a_card_with_membership_and_home_store_in_chromium(served: Served) -> None:
    """Issue 12 item 6 on the page: the 'not yet a member' badge, then the same card
    redrawn in place once the hub said whom the card belongs to and where they are known."""
    from playwright.sync_api import expect

    tap = CardTapped(uid=UID, technology="Type3Tag", reader="nfc-1")
    unknown = compose_prompt(tap, None)
    assert unknown is not None
    with clerk_browser() as page:
        page.goto(served.url)
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "live")
        served.bus.publish(unknown)
        card = page.get_by_test_id("prompt").first
        expect(card).to_contain_text("新顾客 — 推荐办理会员")
        expect(card.locator('[data-field="membership"]')).to_be_visible()
        expect(card.locator('[data-field="membership"]')).to_have_text("未入会")
        expect(card.locator('[data-field="known-at"]')).to_be_hidden()
        member = make_prompt("Xu *").model_copy(
            update={"prompt_id": unknown.prompt_id, "known_at": "Jing'an West Nanjing Rd"}
        )
        assert served.bus.replace(member)
        expect(card).to_contain_text("Xu *")
        expect(page.get_by_test_id("prompt")).to_have_count(1)
        expect(card.locator('[data-field="membership"]')).to_be_hidden()
        expect(card.locator('[data-field="known-at"]')).to_have_text(
            "其他门店顾客：Jing'an West Nanjing Rd"
        )
