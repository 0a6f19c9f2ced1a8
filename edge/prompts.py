"""Prompts: what the clerk's page shows when a customer taps, shows an ID card or checks out.

Composed at the edge from the local cache (never waits for the network). Pure functions:
the caller passes the cached customer (or None) and may pin `prompt_id` / `now` for tests.

The raw `identifier` is kept on the prompt (the gateway needs it for the `prompt.shown`
event) but is excluded from every dump, so the page only ever receives
`identifier_label`, in which card UIDs and member numbers are masked.
"""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from uuid6 import uuid7

from wire.events import CardTapped, EventBody, IdCardRead, PosCheckout
from wire.identity import Identifier, IdentifierKind
from wire.limits import UtcDatetime
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

Text = Annotated[str, Field(max_length=200)]

NEW_CUSTOMER_TITLE = "New customer — offer membership"
NEW_CUSTOMER_NAME = "New customer"
_TITLES = {
    "card.tapped": "Member card",
    "idcard.read": "ID card",
    "pos.checkout": "Checkout",
}
_LABELS = {
    IdentifierKind.CARD_UID: "Card",
    IdentifierKind.MEMBER_NO: "Member",
    IdentifierKind.ID_HASH: "ID card",
    IdentifierKind.PHONE_HASH: "Phone",
}


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_id: UUID
    created_at: UtcDatetime
    trigger: Text = Field(description="event type that caused the prompt")
    reader: Text = Field(description="reader or POS terminal that saw the customer")
    customer_id: Text | None = None
    title: Text
    display_name: Text = Field(description="masked by the hub, e.g. 'Wang *'")
    is_new_customer: bool
    last_purchases: list[PurchaseSummary] = Field(default_factory=list, max_length=3)
    tags: list[Text] = Field(default_factory=list)
    open_tasks: list[TaskSummary] = Field(default_factory=list)
    offers: list[Text] = Field(default_factory=list)
    identifier_label: Text = Field(default="", description="masked, for display")
    identifier: Identifier | None = Field(
        default=None, exclude=True, description="raw; never sent to the page"
    )


def identifiers_of(body: EventBody) -> list[Identifier]:
    """Identifiers an event names, best first (a card's UID before its NDEF member number)."""
    if isinstance(body, CardTapped):
        found = [Identifier(kind=IdentifierKind.CARD_UID, value=body.uid)]
        if body.member_no:
            found.append(Identifier(kind=IdentifierKind.MEMBER_NO, value=body.member_no))
        return found
    if isinstance(body, IdCardRead):
        return [Identifier(kind=IdentifierKind.ID_HASH, value=body.card_hash)]
    if isinstance(body, PosCheckout) and body.member is not None:
        return [body.member]
    return []


def identifier_of(body: EventBody) -> Identifier | None:
    """The identifier to look up for a prompt, or None for events that never prompt."""
    found = identifiers_of(body)
    return found[0] if found else None


def mask_identifier(identifier: Identifier) -> str:
    """'Card ••••1A2B', 'Member ••••0042'; hashes show only their kind."""
    label = _LABELS[identifier.kind]
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
    for trigger, kind in (
        ("card.tapped", CardTapped),
        ("idcard.read", IdCardRead),
        ("pos.checkout", PosCheckout),
    ):
        if isinstance(body, kind):
            return trigger
    return ""


def compose_prompt(
    body: EventBody,
    customer: CachedCustomer | None,
    *,
    prompt_id: UUID | None = None,
    now: datetime | None = None,
) -> Prompt | None:
    """The prompt for an event, or None when the event does not concern a customer at the
    counter (service notes, reader status, prompts themselves, checkouts without a member)."""
    identifier = identifier_of(body)
    if identifier is None:
        return None
    trigger = _trigger_of(body)
    known = customer is not None
    return Prompt(
        prompt_id=prompt_id or uuid7(),
        created_at=now or datetime.now(UTC),
        trigger=trigger,
        reader=_reader_of(body),
        customer_id=customer.customer_id if customer else None,
        title=_TITLES[trigger] if known else NEW_CUSTOMER_TITLE,
        display_name=customer.display_name if customer else NEW_CUSTOMER_NAME,
        is_new_customer=not known,
        last_purchases=customer.last_purchases[:3] if customer else [],
        tags=customer.tags if customer else [],
        open_tasks=customer.open_tasks if customer else [],
        offers=customer.offers if customer else [],
        identifier_label=mask_identifier(identifier),
        identifier=identifier,
    )
