"""One event -> CRM rows. Each handler returns the ids of customers whose cached view
changed (new customer, new identifier, new purchase)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.crm.identities import resolve
from hub.db.models import Customer, Purchase, PurchaseItem, Touchpoint
from hub.errors import EventRejected
from wire.events import (
    CardTappedEvent,
    Event,
    IdCardReadEvent,
    LeadCapturedEvent,
    PosCheckoutEvent,
    PosServiceLoggedEvent,
    PromptActedEvent,
)
from wire.identity import Identifier, IdentifierKind


@dataclass(frozen=True)
class Where:
    """Where an event happened, from the gateway registry (never from the payload)."""

    tenant_id: str
    store_id: str
    gateway_id: str
    now: datetime


def _touch(session: Session, where: Where, event: Event, **fields: Any) -> None:
    session.add(
        Touchpoint(
            tenant_id=where.tenant_id,
            store_id=where.store_id,
            at=event.occurred_at,
            event_id=str(event.event_id),
            **fields,
        )
    )


def _resolve(session: Session, where: Where, idents: list[Identifier]) -> tuple[str, set[str]]:
    found = resolve(session, where.tenant_id, where.store_id, idents, where.now)
    return found.customer.id, ({found.customer.id} if found.changed else set())


def card_tapped(session: Session, where: Where, event: CardTappedEvent) -> set[str]:
    body = event.body
    idents = [Identifier(kind=IdentifierKind.CARD_UID, value=body.uid)]
    if body.member_no:  # the member number is the stronger claim; look it up first
        idents.insert(0, Identifier(kind=IdentifierKind.MEMBER_NO, value=body.member_no))
    customer_id, changed = _resolve(session, where, idents)
    _touch(
        session,
        where,
        event,
        customer_id=customer_id,
        kind="visit",
        channel="nfc",
        detail=body.reader,
    )
    return changed


def idcard_read(session: Session, where: Where, event: IdCardReadEvent) -> set[str]:
    idents = [Identifier(kind=IdentifierKind.ID_HASH, value=event.body.card_hash)]
    customer_id, changed = _resolve(session, where, idents)
    _touch(
        session,
        where,
        event,
        customer_id=customer_id,
        kind="visit",
        channel="idcard",
        detail=event.body.reader,
    )
    return changed


def pos_checkout(session: Session, where: Where, event: PosCheckoutEvent) -> set[str]:
    body = event.body
    customer_id, changed = _resolve(session, where, [body.member]) if body.member else (None, set())
    purchase = Purchase(
        tenant_id=where.tenant_id,
        customer_id=customer_id,
        store_id=where.store_id,
        gateway_id=where.gateway_id,
        event_id=str(event.event_id),
        receipt_no=body.receipt_no,
        at=event.occurred_at,
        total=body.total,
        currency=body.currency,
        staff_id=body.staff_id,
        terminal=body.terminal,
        items=[
            PurchaseItem(sku=i.sku, name=i.name, qty=i.qty, unit_price=i.unit_price)
            for i in body.items
        ],
    )
    session.add(purchase)
    if customer_id is None:
        return set()
    _touch(
        session,
        where,
        event,
        customer_id=customer_id,
        kind="checkout",
        channel="pos",
        staff_id=body.staff_id,
        detail=body.receipt_no,
    )
    return changed | {customer_id}


def service_logged(session: Session, where: Where, event: PosServiceLoggedEvent) -> set[str]:
    body = event.body
    customer_id, changed = _resolve(session, where, [body.member]) if body.member else (None, set())
    _touch(
        session,
        where,
        event,
        customer_id=customer_id,
        kind="service",
        channel="pos",
        staff_id=body.staff_id,
        detail=f"{body.service_type}: {body.note}"[:2000],
    )
    return changed


def prompt_acted(session: Session, where: Where, event: PromptActedEvent) -> set[str]:
    body = event.body
    if body.customer_id is not None:
        customer = session.get(Customer, body.customer_id)
        if customer is None or customer.tenant_id != where.tenant_id:
            raise EventRejected("unknown customer", body.customer_id)
    _touch(
        session,
        where,
        event,
        customer_id=body.customer_id,
        kind="prompt_acted",
        channel="store_device",
        staff_id=body.staff_id,
        detail=f"{body.action}: {body.note}"[:2000],
    )
    return set()


def lead_captured(session: Session, where: Where, event: LeadCapturedEvent) -> set[str]:
    body = event.body
    customer_id, changed = (
        _resolve(session, where, [body.contact]) if body.contact else (None, set())
    )
    _touch(
        session,
        where,
        event,
        customer_id=customer_id,
        kind="lead",
        channel=body.source[:32],
        detail=f"{body.name}: {body.note}"[:2000],
    )
    return changed


Handler = Callable[[Session, Where, Any], set[str]]
# prompt.shown and reader.status are kept as raw events only.
HANDLERS: dict[str, Handler] = {
    "card.tapped": card_tapped,
    "idcard.read": idcard_read,
    "pos.checkout": pos_checkout,
    "pos.service_logged": service_logged,
    "prompt.acted": prompt_acted,
    "lead.captured": lead_captured,
}
