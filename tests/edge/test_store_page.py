"""The store page against a real uvicorn server on a free port: httpx for the API and the
SSE stream, headless Debian Chromium (Playwright, no browser download) for the page.
Screenshots of the page in each locale are kept (tests/support/artefacts.py)."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.prompts import Prompt, compose_prompt
from edge.store_locale import StoreLocale
from edge.store_page import PromptBus
from tests.edge.store_page_support import (
    AMOX,
    NOW,
    TAPPED,
    UID,
    Served,
    clerk_browser,
    make_prompt,
    serve_page,
    sse_events,
    wait_until,
)
from tests.support.artefacts import artefact_path
from wire.events import CardTapped


@pytest.fixture
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    """A page in the default locale (zh-CN), or in the StoreLocale given by indirect param."""
    with serve_page(tmp_path, getattr(request, "param", StoreLocale())) as running:
        yield running


@pytest.fixture
def device(served: Served) -> Iterator[httpx.Client]:
    """A paired device (no clerks configured: its actions carry no staff id)."""
    client = served.pair()
    yield client
    client.close()


def test_sse_sends_recent_then_live_prompts_and_pings(served: Served, device: httpx.Client) -> None:
    early, late = make_prompt("Early *"), make_prompt("Late *")
    served.bus.publish(early)
    with device.stream("GET", "/prompts/stream") as response:
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
        device.post(f"/prompts/{late.prompt_id}/acted", json={"action": "done"})
        kind, data = next(e for e in events if e[0] != "comment")
        assert (kind, json.loads(data)) == (
            "acted",
            {"prompt_id": str(late.prompt_id), "state": "done"},
        )
    wait_until(lambda: served.bus.stats()["subscribers"] == 0)  # disconnect unsubscribes


def test_acted_calls_on_acted_once(served: Served, device: httpx.Client) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    url = f"/prompts/{prompt.prompt_id}/acted"
    response = device.post(url, json={"action": "dismissed"})
    assert response.status_code == 202
    assert response.json() == {"prompt_id": str(prompt.prompt_id), "state": "dismissed"}
    assert served.acted.calls == [(prompt.prompt_id, "dismissed", None)]  # no clerks here
    assert device.post(url, json={"action": "done"}).status_code == 409
    assert len(served.acted.calls) == 1
    recent = device.get("/prompts/recent").json()
    assert [(p["prompt_id"], p["state"]) for p in recent] == [(str(prompt.prompt_id), "dismissed")]


def test_acted_errors(served: Served, device: httpx.Client) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    url = f"/prompts/{prompt.prompt_id}/acted"
    unknown = "/prompts/0190a000-0000-7000-8000-000000000009/acted"
    assert device.post(unknown, json={"action": "done"}).status_code == 404
    assert device.post(url, json={"action": "sold"}).status_code == 422
    assert device.post(url, json={"action": "done", "x": 1}).status_code == 422
    assert device.post("/prompts/nope/acted", json={"action": "done"}).status_code == 422
    served.acted.fail = True
    assert device.post(url, json={"action": "done"}).status_code == 503
    served.acted.fail = False  # the clerk presses again once the outbox has room
    assert device.post(url, json={"action": "done"}).status_code == 202
    assert served.acted.calls == [(prompt.prompt_id, "done", None)]


def test_page_health_recent_and_static(served: Served, device: httpx.Client) -> None:
    first, second = make_prompt("A *"), make_prompt("B *")
    served.bus.publish(first)
    served.bus.publish(second)
    assert httpx.get(f"{served.url}/healthz").json() == {"ok": True, "outbox_depth": 3}
    names = [p["display_name"] for p in device.get("/prompts/recent").json()]
    assert names == ["B *", "A *"]  # newest first
    page = device.get("/")
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


def test_clerk_page_in_chromium(served: Served, device: httpx.Client) -> None:
    """The default page (zh-CN, Asia/Shanghai): Chinese labels and 24-hour store times."""
    from playwright.sync_api import expect

    with clerk_browser(device, served.url) as page:
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
        expect(card.locator("h3")).to_have_text(
            ["最近购买", "待办", "推荐", "本次服务（点击记录）"]
        )
        tasks = card.locator('[data-field="tasks"] li')
        expect(tasks).to_have_text(["复购提醒：降压药  （截止 2026-12-03 09:00）"])
        expect(card).to_contain_text("今日积分翻倍")
        expect(card.locator("button[data-action]")).to_have_text(["完成", "忽略"])
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
def test_clerk_page_in_english(served: Served, device: httpx.Client) -> None:
    """locale = "en": the same page in English, times still the store's, 24-hour."""
    from playwright.sync_api import expect

    with clerk_browser(device, served.url) as page:
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
        expect(card.locator("h3")).to_have_text(
            ["Last purchases", "Open tasks", "Offer", "Services given (tap to log)"]
        )
        expect(card.locator('[data-field="tasks"] li')).to_have_text(
            ["复购提醒：降压药  (due 2026-12-03 09:00)"]
        )
        expect(card.locator("button[data-action]")).to_have_text(["Done", "Dismiss"])
        services = card.get_by_test_id("services").get_by_role("button")
        expect(services).to_have_text(
            ["Medication advice", "Bought for family", "Insurance help", "Blood pressure"]
        )
        card.get_by_role("button", name="Dismiss").click()
        expect(card.locator('[data-field="state"]')).to_have_text("— Dismissed")
        page.screenshot(path=str(artefact_path("store-page-en.png")))


@pytest.mark.parametrize("served", [StoreLocale("en", "Europe/London")], indirect=True)
def test_retry_label_is_in_the_locale(served: Served, device: httpx.Client) -> None:
    from playwright.sync_api import expect

    with clerk_browser(device, served.url) as page:
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


def test_page_redraws_a_card_with_membership_and_home_store_in_chromium(
    served: Served, device: httpx.Client
) -> None:
    """Issue 12 item 6 on the page: the 'not yet a member' badge, then the same card
    redrawn in place once the hub said whom the card belongs to and where they are known."""
    from playwright.sync_api import expect

    tap = CardTapped(uid=UID, technology="Type3Tag", reader="nfc-1")
    unknown = compose_prompt(tap, None)
    assert unknown is not None
    with clerk_browser(device, served.url) as page:
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
        bought = member.model_copy(update={"known_at": "徐汇店", "known_at_purchases": 3})
        assert served.bus.replace(bought)
        expect(card.locator('[data-field="known-at"]')).to_have_text(
            "其他门店顾客：徐汇店（在该店购买 3 次）"
        )
