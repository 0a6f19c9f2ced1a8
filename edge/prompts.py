"""Prompts: what the clerk's page shows when a customer taps, shows an ID card or checks out.

Composed at the edge from the local cache (never waits for the network). Pure functions:
the caller passes the cached customer (or None) and the store's locale (the catalogue its
titles and labels come from, the time zone its times are shown in), and may pin
`prompt_id` / `now` for tests.

The raw `identifier` is kept on the prompt (the gateway needs it for the `prompt.shown`
event) but is excluded from every dump, so the page only ever receives
`identifier_label`, in which card UIDs and member numbers are masked.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from uuid6 import uuid7

from edge.household_prompt import ShownHousehold, shown_household
from edge.store_locale import DEFAULT_STORE_LOCALE, StoreLocale
from wire.events import CardTapped, EventBody, IdCardRead, PosCheckout
from wire.identity import Identifier, IdentifierKind
from wire.limits import UtcDatetime
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

Text = Annotated[str, Field(max_length=200)]
LocalTime = Annotated[str, Field(max_length=40, description="store time, 'YYYY-MM-DD HH:MM'")]

# Events that prompt; each has a title `prompt.title.<trigger>` in edge/catalogue.py.
PROMPT_TRIGGERS = (
    ("card.tapped", CardTapped),
    ("idcard.read", IdCardRead),
    ("pos.checkout", PosCheckout),
)


class ShownPurchase(PurchaseSummary):
    at_local: LocalTime


class ShownTask(TaskSummary):
    due_at_local: LocalTime = ""


# member: enrolled; provisional: the hub holds a nameless record (an earlier visit);
# unknown: nobody in this store's cache holds any identifier of the observation.
Membership = Literal["member", "provisional", "unknown"]


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_id: UUID
    created_at: UtcDatetime
    created_at_local: LocalTime
    trigger: Text = Field(description="event type that caused the prompt")
    reader: Text = Field(description="reader or POS terminal that saw the customer")
    customer_id: Text | None = None
    title: Text
    display_name: Text = Field(description="masked by the hub, e.g. 'Wang *'")
    is_new_customer: bool = Field(description="no record of them in this store's cache")
    membership: Membership = "member"
    known_at: Text = Field(default="", description="the store of the tenant they belong to")
    known_at_purchases: int = Field(default=0, ge=0, description="their purchases there")
    last_purchases: list[ShownPurchase] = Field(default_factory=list, max_length=3)
    tags: list[Text] = Field(default_factory=list)
    open_tasks: list[ShownTask] = Field(default_factory=list)
    offers: list[Text] = Field(default_factory=list)
    household: ShownHousehold | None = Field(
        default=None, description="their family: members, 家属代购, masked phone"
    )
    services_logged: list[Text] = Field(
        default_factory=list, description="counter services ticked for it (their types)"
    )
    identifier_label: Text = Field(default="", description="masked, for display")
    identifier: Identifier | None = Field(
        default=None, exclude=True, description="raw; never sent to the page"
    )


def identifiers_of(body: EventBody) -> list[Identifier]:
    """Identifiers an event names, strongest first, in the hub's order
    (hub/crm/event_handlers.identifier_keys): a card's NDEF member number before its UID,
    so the prompt names the customer the hub will credit the visit to."""
    if isinstance(body, CardTapped):
        uid = Identifier(kind=IdentifierKind.CARD_UID, value=body.uid)
        if body.member_no:
            return [Identifier(kind=IdentifierKind.MEMBER_NO, value=body.member_no), uid]
        return [uid]
    if isinstance(body, IdCardRead):
        return [Identifier(kind=IdentifierKind.ID_HASH, value=body.card_hash)]
    if isinstance(body, PosCheckout) and body.member is not None:
        return [body.member]
    return []


def identifier_of(body: EventBody) -> Identifier | None:
    """The identifier to look up for a prompt, or None for events that never prompt."""
    found = identifiers_of(body)
    return found[0] if found else None


def mask_identifier(
    identifier: Identifier, store_locale: StoreLocale = DEFAULT_STORE_LOCALE
) -> str:
    """'卡号 ••••1A2B' / 'Card ••••1A2B', 'Member ••••0042'; hashes show only their kind."""
    label = store_locale.text(f"identifier.{identifier.kind.value}")
    if identifier.kind in (IdentifierKind.ID_HASH, IdentifierKind.PHONE_HASH):
        return label
    return f"{label} ••••{identifier.value[-4:]}"


def _reader_of(body: EventBody) -> str:
    if isinstance(body, CardTapped | IdCardRead):
        return body.reader
    if isinstance(body, PosCheckout):
        return body.terminal or "pos"
    return ""


def _trigger_of(body: EventBody) -> str:
    return next((trigger for trigger, kind in PROMPT_TRIGGERS if isinstance(body, kind)), "")


def _shown_purchases(customer: CachedCustomer, store_locale: StoreLocale) -> list[ShownPurchase]:
    return [
        ShownPurchase(**p.model_dump(), at_local=store_locale.local_time(p.at))
        for p in customer.last_purchases[:3]
    ]


def _shown_tasks(customer: CachedCustomer, store_locale: StoreLocale) -> list[ShownTask]:
    return [
        ShownTask(
            **t.model_dump(),
            due_at_local=store_locale.local_time(t.due_at) if t.due_at else "",
        )
        for t in customer.open_tasks
    ]


def _membership(customer: CachedCustomer | None) -> Membership:
    return "unknown" if customer is None else customer.membership


def _title_key(trigger: str, membership: Membership) -> str:
    """The catalogue key of the prompt's title (edge/catalogue.py)."""
    if membership == "unknown":
        return "prompt.title.new_customer"
    return (
        "prompt.title.not_yet_member" if membership == "provisional" else f"prompt.title.{trigger}"
    )


def _known_at(customer: CachedCustomer | None, store_id: str | None) -> str:
    """The other store that knows them, when the hub sent one ('' for our own)."""
    if customer is None or customer.home_store_id in (None, store_id):
        return ""
    return customer.home_store_name or customer.home_store_id or ""


def compose_prompt(
    body: EventBody,
    customer: CachedCustomer | None,
    *,
    identifier: Identifier | None = None,
    store_id: str | None = None,
    store_locale: StoreLocale = DEFAULT_STORE_LOCALE,
    prompt_id: UUID | None = None,
    now: datetime | None = None,
) -> Prompt | None:
    """The prompt for an event, or None when the event does not concern a customer at the
    counter (service notes, reader status, prompts themselves, checkouts without a member).
    `identifier` is the one the customer was found by (default: the event's first);
    `store_id` is this gateway's store, so a customer homed elsewhere shows where."""
    first = identifier_of(body)
    if first is None:
        return None
    identifier = identifier or first
    trigger = _trigger_of(body)
    membership = _membership(customer)
    created_at = now or datetime.now(UTC)
    text = store_locale.text
    known_at = _known_at(customer, store_id)
    return Prompt(
        prompt_id=prompt_id or uuid7(),
        created_at=created_at,
        created_at_local=store_locale.local_time(created_at),
        trigger=trigger,
        reader=_reader_of(body),
        customer_id=customer.customer_id if customer else None,
        title=text(_title_key(trigger, membership)),
        display_name=customer.display_name if customer else text("prompt.name.new_customer"),
        is_new_customer=customer is None,
        membership=membership,
        known_at=known_at,
        known_at_purchases=customer.home_store_purchases if customer and known_at else 0,
        last_purchases=_shown_purchases(customer, store_locale) if customer else [],
        tags=customer.tags if customer else [],
        open_tasks=_shown_tasks(customer, store_locale) if customer else [],
        offers=customer.offers if customer else [],
        household=shown_household(customer.household, customer.customer_id, store_locale)
        if customer
        else None,
        identifier_label=mask_identifier(identifier, store_locale),
        identifier=identifier,
    )
