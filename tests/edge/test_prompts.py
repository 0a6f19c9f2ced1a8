import json
from datetime import UTC, datetime
from uuid import UUID

import pytest

from edge.prompts import (
    Prompt,
    compose_prompt,
    identifier_of,
    identifiers_of,
    mask_identifier,
)
from edge.store_locale import StoreLocale
from wire.events import (
    CardTapped,
    EventBody,
    IdCardRead,
    LineItem,
    PosCheckout,
    PosServiceLogged,
    PromptActed,
    ReaderStatus,
)
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
NOW_IN_SHANGHAI = "2024-05-01 17:30"  # China Standard Time is UTC+8 all year (no DST)
EN = StoreLocale("en")
ZH = StoreLocale()  # the default: zh-CN, Asia/Shanghai
PID = UUID("0190a000-0000-7000-8000-000000000001")
UID = "04A1B2C3D4E5F6"
HASH = "ab" * 32
MEMBER = Identifier(kind=IdentifierKind.MEMBER_NO, value="M000042")


def purchases(n: int) -> list[PurchaseSummary]:
    return [
        PurchaseSummary(at=NOW, receipt_no=f"R{i}", summary=f"Vitamin C x{i}", total=1200 + i)
        for i in range(n)
    ]


CUSTOMER = CachedCustomer(
    customer_id="c42",
    display_name="Wang *",
    identifiers=[Identifier(kind=IdentifierKind.CARD_UID, value=UID), MEMBER],
    last_purchases=purchases(3),
    tags=["VIP", "refill due"],
    open_tasks=[TaskSummary(task_id="t1", title="Call back about BP monitor")],
    offers=["Double points today"],
    updated_at=NOW,
)
TAP = CardTapped(uid=UID, technology="Type3Tag", reader="nfc-1", member_no="M000042")
IDCARD = IdCardRead(card_hash=HASH, profile="cn-resident", reader="id-1")
CHECKOUT = PosCheckout(
    receipt_no="R9",
    items=[LineItem(sku="A1", qty=1, unit_price=500)],
    total=500,
    member=MEMBER,
    terminal="till-2",
)


def compose(
    body: EventBody, customer: CachedCustomer | None, store_locale: StoreLocale = EN
) -> Prompt | None:
    return compose_prompt(body, customer, store_locale=store_locale, prompt_id=PID, now=NOW)


def test_identifiers_of_each_event() -> None:
    card = Identifier(kind=IdentifierKind.CARD_UID, value=UID)
    # the hub's order (event_handlers.identifier_keys): the member number is the stronger claim
    assert identifiers_of(TAP) == [MEMBER, card]
    assert identifier_of(TAP) == MEMBER
    assert identifiers_of(TAP.model_copy(update={"member_no": None})) == [card]
    assert identifier_of(IDCARD) == Identifier(kind=IdentifierKind.ID_HASH, value=HASH)
    assert identifier_of(CHECKOUT) == MEMBER
    assert identifier_of(CHECKOUT.model_copy(update={"member": None})) is None
    assert identifier_of(PosServiceLogged(service_type="bp", member=MEMBER)) is None


@pytest.mark.parametrize(
    ("body", "trigger", "reader", "title", "title_zh"),
    [
        (TAP, "card.tapped", "nfc-1", "Member card", "会员卡"),
        (IDCARD, "idcard.read", "id-1", "ID card", "证件"),
        (CHECKOUT, "pos.checkout", "till-2", "Checkout", "结账"),
    ],
)
def test_known_customer_prompt(
    body: EventBody, trigger: str, reader: str, title: str, title_zh: str
) -> None:
    prompt = compose(body, CUSTOMER)
    assert prompt is not None
    assert (prompt.prompt_id, prompt.created_at, prompt.trigger) == (PID, NOW, trigger)
    assert (prompt.reader, prompt.title, prompt.customer_id) == (reader, title, "c42")
    chinese = compose(body, CUSTOMER, ZH)
    assert chinese is not None and chinese.title == title_zh
    assert chinese.model_copy(update={"title": title}) == prompt.model_copy(
        update={"identifier_label": chinese.identifier_label}
    ), "only the wording differs between locales"
    assert prompt.display_name == "Wang *" and not prompt.is_new_customer
    assert [p.receipt_no for p in prompt.last_purchases] == ["R0", "R1", "R2"]
    assert prompt.tags == ["VIP", "refill due"]
    assert prompt.open_tasks[0].title == "Call back about BP monitor"
    assert prompt.offers == ["Double points today"]
    assert prompt.identifier == identifier_of(body)
    assert (prompt.membership, prompt.known_at) == ("member", "")


def test_unknown_identifier_offers_membership() -> None:
    prompt = compose(TAP, None)
    assert prompt is not None
    assert prompt.is_new_customer and prompt.customer_id is None
    assert prompt.title == "New customer — offer membership"
    assert prompt.display_name == "New customer"
    assert prompt.last_purchases == [] and prompt.tags == [] and prompt.offers == []
    chinese = compose(TAP, None, ZH)
    assert chinese is not None and chinese.is_new_customer
    assert (chinese.title, chinese.display_name) == ("新顾客 — 推荐办理会员", "新顾客")
    assert prompt.membership == "unknown"


def test_times_are_shown_in_the_store_zone_24_hour() -> None:
    late = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # past midnight in Shanghai
    customer = CUSTOMER.model_copy(
        update={
            "last_purchases": [
                PurchaseSummary(at=late, receipt_no="R7", summary="维生素C片", total=990)
            ],
            "open_tasks": [
                TaskSummary(
                    task_id="t1", title="回访", due_at=datetime(2026, 12, 2, 7, 18, tzinfo=UTC)
                ),
                TaskSummary(task_id="t2", title="no due date"),
            ],
        }
    )
    prompt = compose(TAP, customer, ZH)
    assert prompt is not None
    assert prompt.created_at_local == NOW_IN_SHANGHAI
    assert [p.at_local for p in prompt.last_purchases] == ["2026-12-02 00:30"]
    assert [t.due_at_local for t in prompt.open_tasks] == ["2026-12-02 15:18", ""]
    assert prompt.last_purchases[0].at == late, "the UTC time is kept beside its display"
    # another zone, with summer time: CEST (+2) in May, CET (+1) in December
    berlin = compose(TAP, customer, StoreLocale("en", "Europe/Berlin"))
    assert berlin is not None and berlin.created_at_local == "2024-05-01 11:30"
    assert [t.due_at_local for t in berlin.open_tasks] == ["2026-12-02 08:18", ""]


def test_a_provisional_customer_is_not_yet_a_member() -> None:
    """The hub's nameless record of an earlier tap: still offered membership, not 'Guest'
    greeted like a member."""
    provisional = CUSTOMER.model_copy(
        update={"display_name": "Guest", "membership": "provisional", "tags": []}
    )
    prompt = compose(TAP, provisional)
    assert prompt is not None
    assert prompt.title == "Not yet a member — offer membership"
    assert (prompt.membership, prompt.customer_id) == ("provisional", "c42")
    assert prompt.display_name == "Guest" and not prompt.is_new_customer
    chinese = compose(TAP, provisional, ZH)
    assert chinese is not None and chinese.title == "未入会 — 推荐办理会员"


def test_a_member_of_another_store_says_which_store_knows_them() -> None:
    elsewhere = CUSTOMER.model_copy(
        update={
            "home_store_id": "store-b",
            "home_store_name": "Jing'an West Nanjing Rd",
            "home_store_purchases": 3,
        }
    )
    here = compose_prompt(
        TAP, elsewhere, store_id="store-a", store_locale=EN, prompt_id=PID, now=NOW
    )
    assert here is not None
    assert (here.title, here.membership) == ("Member card", "member")
    assert (here.known_at, here.known_at_purchases) == ("Jing'an West Nanjing Rd", 3)
    home = compose_prompt(TAP, elsewhere, store_id="store-b", prompt_id=PID, now=NOW)
    assert home is not None and (home.known_at, home.known_at_purchases) == ("", 0)


def test_the_label_names_the_identifier_the_customer_was_found_by() -> None:
    card = Identifier(kind=IdentifierKind.CARD_UID, value=UID)
    prompt = compose_prompt(TAP, CUSTOMER, identifier=card, store_locale=EN, prompt_id=PID, now=NOW)
    assert prompt is not None
    assert (prompt.identifier, prompt.identifier_label) == (card, "Card ••••E5F6")


def test_an_older_hubs_cache_entry_reads_as_a_member() -> None:
    """CachedCustomer's new fields have defaults: an entry without them still parses."""
    old = json.loads(CUSTOMER.model_dump_json())
    for field in ("membership", "home_store_id", "home_store_name"):
        del old[field]
    parsed = CachedCustomer.model_validate(old)
    assert (parsed.membership, parsed.home_store_id, parsed.home_store_name) == (
        "member",
        None,
        "",
    )


@pytest.mark.parametrize(
    "body",
    [
        PosServiceLogged(service_type="bp check", member=MEMBER),
        PromptActed(prompt_id=PID, action="done"),
        ReaderStatus(reader="nfc-1", kind="nfc", state="down"),
        CHECKOUT.model_copy(update={"member": None}),
    ],
)
def test_other_events_make_no_prompt(body: EventBody) -> None:
    assert compose(body, CUSTOMER) is None


def test_card_uid_is_masked_and_never_dumped() -> None:
    prompt = compose(TAP.model_copy(update={"member_no": None}), CUSTOMER)
    assert prompt is not None
    assert prompt.identifier_label == "Card ••••E5F6"
    chinese = compose(TAP.model_copy(update={"member_no": None}), CUSTOMER, ZH)
    assert chinese is not None and chinese.identifier_label == "卡号 ••••E5F6"
    dumped = prompt.model_dump_json()
    assert UID not in dumped and "identifier_label" in dumped
    assert "identifier" not in json.loads(dumped)
    # the page's JSON round-trips to a prompt (without the raw identifier)
    assert Prompt.model_validate_json(dumped) == prompt.model_copy(update={"identifier": None})


def test_mask_identifier_kinds() -> None:
    id_hash = Identifier(kind=IdentifierKind.ID_HASH, value=HASH)
    phone_hash = Identifier(kind=IdentifierKind.PHONE_HASH, value=HASH)
    assert mask_identifier(MEMBER, EN) == "Member ••••0042"
    assert mask_identifier(id_hash, EN) == "ID card"
    assert mask_identifier(phone_hash, EN) == "Phone"
    assert mask_identifier(MEMBER) == "会员号 ••••0042"  # zh-CN by default
    assert (mask_identifier(id_hash, ZH), mask_identifier(phone_hash, ZH)) == ("证件", "手机")


def test_defaults_make_fresh_ids_and_aware_times() -> None:
    first, second = compose_prompt(TAP, None), compose_prompt(TAP, None)
    assert first is not None and second is not None
    assert first.prompt_id != second.prompt_id and first.prompt_id.version == 7
    assert first.created_at.tzinfo is not None
