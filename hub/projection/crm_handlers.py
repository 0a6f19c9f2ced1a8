"""One event -> CRM rows, as data: the identifiers that name its customer (in priority
order) and the touchpoint / purchase rows it makes once that customer is known
(crm_batch.py applies them, to a whole batch or to one event)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crm.households.family import FAMILY_PURCHASE
from hub.db.arrays import any_of
from hub.db.event_origin import Where
from hub.db.models import Customer, Purchase, Touchpoint
from hub.projection.crm_rows import CrmRows
from wire.events import (
    CardTappedEvent,
    Event,
    IdCardReadEvent,
    LeadCapturedEvent,
    PosCheckoutEvent,
    PosServiceLoggedEvent,
    PromptActedEvent,
)
from wire.identity import IdentifierKind


def identifier_keys(event: Event) -> list[tuple[str, str]]:
    """The (kind, value) pairs naming the event's customer, strongest first; [] when none.
    Plain tuples: the batch path resolves thousands per round."""
    match event:
        case CardTappedEvent(body=body):
            uid = (IdentifierKind.CARD_UID.value, body.uid)
            if body.member_no:  # the member number is the stronger claim: it goes first
                return [(IdentifierKind.MEMBER_NO.value, body.member_no), uid]
            return [uid]
        case IdCardReadEvent(body=body):
            return [(IdentifierKind.ID_HASH.value, body.card_hash)]
        case PosCheckoutEvent(body=body) | PosServiceLoggedEvent(body=body):
            return [(body.member.kind.value, body.member.value)] if body.member else []
        case LeadCapturedEvent(body=body):
            return [(body.contact.kind.value, body.contact.value)] if body.contact else []
    return []


def named_customer(event: Event) -> str | None:
    """A customer id the event names directly (must exist in the tenant, else rejected)."""
    return event.body.customer_id if isinstance(event, PromptActedEvent) else None


def _touch(where: Where, event: Event, customer_id: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "tenant_id": where.tenant_id,
        "customer_id": customer_id,
        "store_id": where.store_id,
        "at": event.occurred_at,
        "event_id": str(event.event_id),
        "staff_id": None,
        "detail": "",
        "for_customer_id": None,
        **fields,
    }


def _visit(where: Where, event: Any, customer_id: str | None) -> CrmRows:
    channel = "nfc" if isinstance(event, CardTappedEvent) else "idcard"
    row = _touch(where, event, customer_id, kind="visit", channel=channel, detail=event.body.reader)
    return CrmRows(touchpoint=row)


def _checkout(where: Where, event: PosCheckoutEvent, customer_id: str | None) -> CrmRows:
    body = event.body
    purchase = {
        "tenant_id": where.tenant_id,
        "customer_id": customer_id,
        "store_id": where.store_id,
        "gateway_id": where.gateway_id,
        "event_id": str(event.event_id),
        "receipt_no": body.receipt_no,
        "at": event.occurred_at,
        "total": body.total,
        "currency": body.currency,
        "staff_id": body.staff_id,
        "terminal": body.terminal,
    }
    items = [
        {"sku": i.sku, "name": i.name, "qty": i.qty, "unit_price": i.unit_price} for i in body.items
    ]
    if customer_id is None:  # an anonymous purchase: no touchpoint, no customer to refresh
        return CrmRows(purchase=purchase, items=items)
    touch = _touch(
        where,
        event,
        customer_id,
        kind="checkout",
        channel="pos",
        staff_id=body.staff_id,
        detail=body.receipt_no,
    )
    return CrmRows(touchpoint=touch, purchase=purchase, items=items, marks_customer=True)


def _service(where: Where, event: PosServiceLoggedEvent, customer_id: str | None) -> CrmRows:
    body = event.body
    detail = (body.service_type + (f": {body.note}" if body.note else ""))[:2000]
    family = body.for_customer_id if body.service_type == FAMILY_PURCHASE else None
    touch = _touch(
        where,
        event,
        customer_id,
        kind="service",
        channel="pos",
        staff_id=body.staff_id,
        detail=detail,
        for_customer_id=family,
    )
    return CrmRows(touchpoint=touch)


def _prompt_acted(where: Where, event: PromptActedEvent, customer_id: str | None) -> CrmRows:
    body = event.body
    touch = _touch(
        where,
        event,
        body.customer_id,
        kind="prompt_acted",
        channel="store_device",
        staff_id=body.staff_id,
        detail=f"{body.action}: {body.note}"[:2000],
    )
    return CrmRows(touchpoint=touch)


def _lead(where: Where, event: LeadCapturedEvent, customer_id: str | None) -> CrmRows:
    body = event.body
    touch = _touch(
        where,
        event,
        customer_id,
        kind="lead",
        channel=body.source[:32],
        detail=f"{body.name}: {body.note}"[:2000],
    )
    lead = {
        "id": f"lead-{event.event_id.hex}",
        "tenant_id": where.tenant_id,
        "source": GATEWAY_SOURCE,  # the channel; the store page's own source is a tag
        "source_id": str(event.event_id),
        "customer_id": customer_id,
        "store_id": where.store_id,
        "owner_staff_id": None,
        "name": body.name,
        "note": body.note,
        "tags": [f"source:{body.source}"],
        "score": 0,  # scored with the batch's touched customers (CrmProjection)
        "score_parts": [],
        "scored_at": where.now,
        "captured_at": event.occurred_at,
        "created_at": where.now,
    }
    return CrmRows(touchpoint=touch, lead=lead)


GATEWAY_SOURCE = "gateway"
RowsOf = Callable[[Where, Any, str | None], CrmRows]
# prompt.shown and reader.status are kept as raw events only.
ROWS: dict[str, RowsOf] = {
    "card.tapped": _visit,
    "idcard.read": _visit,
    "pos.checkout": _checkout,
    "pos.service_logged": _service,
    "prompt.acted": _prompt_acted,
    "lead.captured": _lead,
}


VISITS = frozenset({"card.tapped", "idcard.read"})


def new_to_store(session: Session, visits: list[tuple[str, str]]) -> set[str]:
    """Of (store_id, customer_id) visits, the customers that store does not cache yet: homed
    elsewhere (or nowhere), with no touchpoint or purchase there. Call it before the visits'
    rows are written. Their visit must reach the store's cache (and the card on its page)
    although resolving them changed nothing; later visits there send nothing. One
    statement per store in the visits."""
    by_store: dict[str, set[str]] = {}
    for store_id, customer_id in visits:
        by_store.setdefault(store_id, set()).add(customer_id)
    found: set[str] = set()
    for store_id, ids in sorted(by_store.items()):
        seen_here = (
            select(Touchpoint.id)
            .where(Touchpoint.customer_id == Customer.id, Touchpoint.store_id == store_id)
            .exists()
        )
        bought_here = (
            select(Purchase.id)
            .where(Purchase.customer_id == Customer.id, Purchase.store_id == store_id)
            .exists()
        )
        stmt = select(Customer.id).where(
            any_of(Customer.id, sorted(ids)),
            Customer.home_store_id.is_distinct_from(store_id),
            ~seen_here,
            ~bought_here,
        )
        found |= set(session.scalars(stmt))
    return found


def known_customers(session: Session, tenant_id: str, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    stmt = select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(ids))
    return set(session.scalars(stmt))
