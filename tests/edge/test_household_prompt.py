"""The household on the clerk's prompt: members, who bought for whom and the masked family
phone, Chinese first with English available; the 家属代购 tick names the member it was for
(the event carries it). Against a real uvicorn server, a real outbox and headless Chromium."""

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from edge.cache import CustomerCache
from edge.outbox import Outbox
from edge.pipeline import Pipeline
from edge.prompt_bus import PromptBus
from edge.prompts import Prompt, compose_prompt
from edge.store_locale import StoreLocale
from tests.edge.store_page_support import (
    CLERK_PIN,
    NOW,
    TAPPED,
    UID,
    Served,
    clerk,
    clerk_browser,
    serve_page,
)
from tests.support.artefacts import artefact_path
from wire.events import CardTapped, PosServiceLogged
from wire.identity import Identifier
from wire.messages import CachedCustomer, CachedHousehold, FamilyPurchases, HouseholdMember

SON, MOTHER, WIFE = "c42", "c43", "c44"
HOUSEHOLD = CachedHousehold(
    household_id="hh-1",
    members=[
        HouseholdMember(customer_id=SON, display_name="刘*", relation="self"),
        HouseholdMember(customer_id=MOTHER, display_name="吴*", relation="parent"),
        HouseholdMember(customer_id=WIFE, display_name="陈*", relation="spouse"),
    ],
    bought_for=[
        FamilyPurchases(buyer_id=SON, for_id=MOTHER, count=4),
        FamilyPurchases(buyer_id=WIFE, for_id=SON, count=1),
    ],
    family_phone="+86135****8888",
    decision_maker_id=SON,
)


def _prompt(locale: str = "zh-CN", now: datetime = NOW) -> Prompt:
    customer = CachedCustomer(
        customer_id=SON,
        display_name="刘*",
        identifiers=[Identifier(kind="card_uid", value=UID)],
        updated_at=NOW,
        household=HOUSEHOLD,
    )
    tap = CardTapped(uid=UID, technology="Type3Tag", reader="nfc-1")
    prompt = compose_prompt(tap, customer, store_locale=StoreLocale(locale=locale), now=now)  # type: ignore[arg-type]
    assert prompt is not None
    return prompt


def test_the_prompt_shows_the_household_in_chinese_and_in_english() -> None:
    zh = _prompt().household
    assert zh is not None
    assert [(m.customer_id, m.label) for m in zh.members] == [
        (MOTHER, "吴*（父母）"),
        (WIFE, "陈*（配偶）"),
    ]
    assert zh.lines == [
        "为 父母 吴* 代购 4 次",
        "陈* 为其代购 1 次",
        "家庭决策人：本人",
        "家属电话：+86135****8888",
    ]
    en = _prompt("en").household
    assert en is not None
    assert [m.label for m in en.members] == ["吴* (parent)", "陈* (spouse)"]
    assert en.lines == [
        "Bought for parent 吴* 4×",
        "陈* bought for them 1×",
        "Decides for the family: this customer",
        "Family phone: +86135****8888",
    ]


def test_a_customer_in_no_household_has_no_block_and_the_wire_omits_it() -> None:
    customer = CachedCustomer(
        customer_id="c1", display_name="王*", identifiers=[Identifier(kind="card_uid", value=UID)],
        updated_at=NOW,
    )  # fmt: skip
    assert "household" not in customer.model_dump_json()  # older gateways read it as before
    tap = CardTapped(uid=UID, technology="Type3Tag", reader="nfc-1")
    prompt = compose_prompt(tap, customer)
    assert prompt is not None and prompt.household is None
    assert "for_customer_id" not in PosServiceLogged(service_type="x").model_dump_json()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with serve_page(tmp_path, clerks=[clerk()]) as running:
        yield running


@pytest.fixture
def device(served: Served) -> Iterator[httpx.Client]:
    client = served.pair()
    signed = client.post("/device/clerk", json={"staff_id": "S07", "pin": CLERK_PIN})
    assert signed.status_code == 200, signed.text
    yield client
    client.close()


def test_only_a_family_purchase_names_a_member_of_the_household(
    served: Served, device: httpx.Client
) -> None:
    prompt = _prompt()
    served.bus.publish(prompt)
    url = f"/prompts/{prompt.prompt_id}/services"
    stranger = device.post(url, json={"service_type": "family_purchase", "for_customer_id": "c99"})
    assert stranger.status_code == 422
    itself = device.post(url, json={"service_type": "family_purchase", "for_customer_id": SON})
    assert itself.status_code == 422  # the customer is not their own family
    other = device.post(url, json={"service_type": "medication_advice", "for_customer_id": MOTHER})
    assert other.status_code == 422
    made = device.post(url, json={"service_type": "family_purchase", "for_customer_id": MOTHER})
    assert made.status_code == 202, made.text
    assert served.services.calls == [(prompt.prompt_id, "family_purchase", "S07")]
    assert served.services.for_ids == [MOTHER]


def test_the_pipeline_puts_the_member_on_the_event(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "outbox.sqlite3", "gw-1")
        outbox.open()
        cache = CustomerCache(tmp_path / "cache.sqlite3").open()
        bus = PromptBus()
        pipeline = Pipeline(outbox, cache, bus, lambda: None, lambda _s: None)
        prompt = _prompt()
        bus.publish(prompt)
        await pipeline.service_logged(prompt.prompt_id, "family_purchase", "S07", MOTHER)
        [stored] = outbox.pending(0, 10, 10**6)
        body = PosServiceLogged.model_validate(json.loads(stored.payload)["body"])
        assert (body.service_type, body.for_customer_id) == ("family_purchase", MOTHER)
        outbox.close()
        cache.close()

    asyncio.run(scenario())


def test_the_clerk_names_the_member_in_chromium(served: Served, device: httpx.Client) -> None:
    """zh-CN page: the household block, then 家属代购 asks for whom; a tap on 吴*（父母）
    logs it for her."""
    from playwright.sync_api import expect

    prompt = _prompt(now=TAPPED)
    served.bus.publish(prompt)
    with clerk_browser(device, served.url) as page:
        page.goto(served.url)
        card = page.get_by_test_id("prompt").first
        expect(card.get_by_test_id("household").locator("li")).to_have_text(
            ["吴*（父母）", "陈*（配偶）", "为 父母 吴* 代购 4 次", "陈* 为其代购 1 次",
             "家庭决策人：本人", "家属电话：+86135****8888"]
        )  # fmt: skip
        chooser = card.get_by_test_id("family-for")
        expect(chooser).to_be_hidden()
        card.get_by_role("button", name="家属代购").click()
        expect(chooser).to_be_visible()
        expect(chooser.get_by_role("button")).to_have_text(["吴*（父母）", "陈*（配偶）", "未指定"])
        page.screenshot(path=str(artefact_path("household-choose-zh-CN.png")))
        chooser.get_by_role("button", name="吴*（父母）").click()
        expect(card.get_by_role("button", name="家属代购")).to_have_attribute(
            "aria-pressed", "true"
        )
        expect(chooser).to_be_hidden()
        page.screenshot(path=str(artefact_path("household-ticked-zh-CN.png")))
    assert served.services.calls == [(prompt.prompt_id, "family_purchase", "S07")]
    assert served.services.for_ids == [MOTHER]


def test_the_household_in_english_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with serve_page(tmp_path, store_locale=StoreLocale(locale="en")) as served:
        client = served.pair()
        served.bus.publish(_prompt("en", now=TAPPED))
        with clerk_browser(client, served.url) as page:
            page.goto(served.url)
            card = page.get_by_test_id("prompt").first
            block = card.get_by_test_id("household")
            expect(block.locator("h3")).to_have_text("Household")
            expect(block.locator("li").nth(2)).to_have_text("Bought for parent 吴* 4×")
            card.get_by_role("button", name="Bought for family").click()
            expect(card.get_by_test_id("family-for").get_by_role("button")).to_have_text(
                ["吴* (parent)", "陈* (spouse)", "Not said"]
            )
            page.screenshot(path=str(artefact_path("household-en.png")))
        client.close()
