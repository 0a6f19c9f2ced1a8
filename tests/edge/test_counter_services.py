"""Counter services: one tap on the clerk's page logs a service for the prompt's customer,
once, by the clerk signed in on the device; against a real uvicorn server, a real outbox
and headless Chromium."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from edge.cache import CustomerCache
from edge.config import StorePageSection
from edge.counter_services import DEFAULT_SERVICES, CounterService, counter_services
from edge.outbox import Outbox
from edge.pipeline import Pipeline
from edge.prompt_bus import PromptBus
from tests.edge.store_page_support import (
    CLERK_PIN,
    TAPPED,
    UID,
    Served,
    clerk,
    clerk_browser,
    make_prompt,
    serve_page,
    sse_events,
)
from tests.support.artefacts import artefact_path
from wire.events import PosServiceLogged
from wire.identity import IdentifierKind

GLUCOSE = CounterService(type="blood_glucose", label_zh_cn="血糖测量", label_en="Blood glucose")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_page(tmp_path, clerks=[clerk()]) as running:
        yield running


@pytest.fixture
def device(served: Served) -> Iterator[httpx.Client]:
    """A paired device with clerk S07 signed in."""
    client = served.pair()
    signed = client.post("/device/clerk", json={"staff_id": "S07", "pin": CLERK_PIN})
    assert signed.status_code == 200, signed.text
    yield client
    client.close()


def _tick(device: httpx.Client, prompt_id: object, service: str) -> httpx.Response:
    return device.post(f"/prompts/{prompt_id}/services", json={"service_type": service})


def test_a_tap_logs_the_service_once_by_the_signed_in_clerk(
    served: Served, device: httpx.Client
) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    first = _tick(device, prompt.prompt_id, "medication_advice")
    assert first.status_code == 202
    assert first.json() == {
        "prompt_id": str(prompt.prompt_id),
        "service_type": "medication_advice",
        "logged": True,
    }
    again = _tick(device, prompt.prompt_id, "medication_advice")
    assert again.status_code == 200 and again.json()["logged"] is False
    other = _tick(device, prompt.prompt_id, "blood_pressure")
    assert other.status_code == 202
    assert served.services.calls == [
        (prompt.prompt_id, "medication_advice", "S07"),
        (prompt.prompt_id, "blood_pressure", "S07"),
    ]
    kept = served.bus.get(prompt.prompt_id)
    assert kept is not None and kept.services_logged == ["medication_advice", "blood_pressure"]


def test_refusals_name_their_reason_and_log_nothing(served: Served, device: httpx.Client) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    unknown = _tick(device, prompt.prompt_id, "haircut")
    assert unknown.status_code == 422
    assert "haircut" in unknown.json()["detail"] and "medication_advice" in unknown.json()["detail"]
    named = device.post(
        f"/prompts/{prompt.prompt_id}/services",
        json={"service_type": "blood_pressure", "staff_id": "S01"},
    )
    assert named.status_code == 422  # the clerk is the one signed in, never one named
    assert (
        _tick(device, "0193a1b2-0000-7000-8000-000000000000", "blood_pressure").status_code == 404
    )
    no_csrf = httpx.post(
        f"{served.url}/prompts/{prompt.prompt_id}/services",
        json={"service_type": "blood_pressure"},
        cookies=device.cookies,
    )
    assert no_csrf.status_code == 403
    device.post("/device/clerk/sign-out")
    assert _tick(device, prompt.prompt_id, "blood_pressure").status_code == 403
    assert served.services.calls == []


def test_a_full_outbox_is_a_503_and_the_clerk_can_tap_again(
    served: Served, device: httpx.Client
) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    served.services.fail = True
    refused = _tick(device, prompt.prompt_id, "insurance_help")
    assert refused.status_code == 503
    kept = served.bus.get(prompt.prompt_id)
    assert kept is not None and kept.services_logged == []
    served.services.fail = False
    assert _tick(device, prompt.prompt_id, "insurance_help").status_code == 202
    assert served.services.calls == [(prompt.prompt_id, "insurance_help", "S07")]


def test_every_open_page_redraws_the_ticked_card(served: Served, device: httpx.Client) -> None:
    prompt = make_prompt()
    served.bus.publish(prompt)
    with device.stream("GET", "/prompts/stream") as response:
        events = (e for e in sse_events(response) if e[0] == "prompt")
        assert json.loads(next(events)[1])["services_logged"] == []
        assert _tick(device, prompt.prompt_id, "family_purchase").status_code == 202
        redrawn = json.loads(next(events)[1])
    assert redrawn["prompt_id"] == str(prompt.prompt_id)
    assert redrawn["services_logged"] == ["family_purchase"]
    assert redrawn["state"] == "open"


def test_a_redrawn_prompt_keeps_its_ticked_services() -> None:
    """The hub naming an unknown card redraws its prompt: what was ticked stays ticked."""
    bus = PromptBus()
    prompt = make_prompt("新顾客")
    bus.publish(prompt)
    assert bus.tick(prompt.prompt_id, "medication_advice") == "ticked"
    assert bus.replace(prompt.model_copy(update={"display_name": "Wang *"}))
    kept = bus.get(prompt.prompt_id)
    assert kept is not None
    assert (kept.display_name, kept.services_logged) == ("Wang *", ["medication_advice"])


def test_the_pipeline_stores_a_service_logged_of_the_prompts_customer(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "outbox.sqlite3", "gw-1")
        outbox.open()
        cache = CustomerCache(tmp_path / "cache.sqlite3").open()
        bus = PromptBus()
        pipeline = Pipeline(outbox, cache, bus, lambda: None, lambda _s: None)
        prompt = make_prompt()
        bus.publish(prompt)
        await pipeline.service_logged(prompt.prompt_id, "blood_pressure", "S07")
        [stored] = outbox.pending(0, 10, 10**6)
        event = json.loads(stored.payload)
        assert event["type"] == "pos.service_logged"
        body = PosServiceLogged.model_validate(event["body"])
        assert (body.service_type, body.staff_id) == ("blood_pressure", "S07")
        assert body.member is not None
        assert (body.member.kind, body.member.value) == (IdentifierKind.CARD_UID, UID)
        outbox.close()
        cache.close()

    asyncio.run(scenario())


def test_configured_services_follow_the_defaults_and_may_relabel_one() -> None:
    relabelled = CounterService(type="blood_pressure", label_zh_cn="量血压", label_en="BP check")
    services = counter_services([GLUCOSE, relabelled])
    assert [s.type for s in services] == [
        "medication_advice",
        "family_purchase",
        "insurance_help",
        "blood_pressure",
        "blood_glucose",
    ]
    assert services[3].label("zh-CN") == "量血压" and services[4].label("en") == "Blood glucose"
    assert [s.label("zh-CN") for s in DEFAULT_SERVICES] == [
        "用药指导",
        "家属代购",
        "医保协助",
        "血压测量",
    ]
    with pytest.raises(ValidationError, match="each type once: blood_glucose"):
        StorePageSection(services=[GLUCOSE, GLUCOSE])
    with pytest.raises(ValidationError, match="pattern"):
        CounterService(type="Blood Glucose", label_zh_cn="血糖", label_en="Glucose")


def test_ticking_services_in_chromium(served: Served, device: httpx.Client) -> None:
    """zh-CN page: the four default services under the card, one tap each; a ticked one
    stays ticked on another device's page and after a reload."""
    from playwright.sync_api import expect

    prompt = make_prompt("王*", now=TAPPED)
    served.bus.publish(prompt)
    with clerk_browser(device, served.url) as page:
        page.goto(served.url)
        card = page.get_by_test_id("prompt").first
        buttons = card.get_by_test_id("services").get_by_role("button")
        expect(buttons).to_have_text(["用药指导", "家属代购", "医保协助", "血压测量"])
        card.get_by_role("button", name="用药指导").click()
        advice = card.get_by_role("button", name="用药指导")
        expect(advice).to_have_attribute("aria-pressed", "true")
        expect(advice).to_be_disabled()
        card.get_by_role("button", name="血压测量").click()
        expect(card.get_by_role("button", name="血压测量")).to_have_class("service ticked")
        card.get_by_role("button", name="完成").click()  # Done leaves the services alone
        expect(card).to_have_attribute("data-state", "done")
        expect(card.get_by_role("button", name="家属代购")).to_be_enabled()
        page.screenshot(path=str(artefact_path("counter-services-zh-CN.png")))
        page.reload()
        card = page.get_by_test_id("prompt").first
        expect(card.get_by_role("button", name="用药指导")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(card.get_by_role("button", name="医保协助")).to_have_attribute(
            "aria-pressed", "false"
        )
    assert served.services.calls == [
        (prompt.prompt_id, "medication_advice", "S07"),
        (prompt.prompt_id, "blood_pressure", "S07"),
    ]
    assert served.acted.calls == [(prompt.prompt_id, "done", "S07")]
