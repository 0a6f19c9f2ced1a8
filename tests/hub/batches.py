"""Builders of wire batches for hub tests."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from uuid6 import uuid7

from wire.codec import encode
from wire.events import (
    CardTapped,
    EventBody,
    LineItem,
    PosCheckout,
    make_event,
)
from wire.identity import Identifier, IdentifierKind
from wire.messages import EventBatch

T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def batch(
    gateway_id: str,
    bodies: Sequence[EventBody],
    *,
    epoch: uuid.UUID | None = None,
    first_seq: int = 1,
    at: datetime = T0,
) -> EventBatch:
    events = [
        make_event(
            body,
            event_id=uuid7(),
            gateway_id=gateway_id,
            seq=first_seq + i,
            occurred_at=at + timedelta(seconds=i),
        )
        for i, body in enumerate(bodies)
    ]
    return EventBatch(gateway_id=gateway_id, epoch=epoch or uuid.uuid4(), sent_at=at, events=events)


def payload(b: EventBatch) -> bytes:
    return encode(b)


def tap(uid: str = "01010501B00AC30B", member_no: str | None = None) -> CardTapped:
    return CardTapped(uid=uid, technology="Type3Tag", reader="nfc-1", member_no=member_no)


def checkout(receipt: str, member: str | None = "M1001", total: int = 3700) -> PosCheckout:
    """Two boxes of amoxicillin; a `total` other than their 3700 is made up by a second line
    (the contract refuses a total that is not the sum of its lines)."""
    items = [LineItem(sku="6901234567011", name="阿莫西林胶囊 0.25g*24", qty=2, unit_price=1850)]
    if total != 3700:
        items.append(LineItem(sku="ADJ", name="调整", qty=1, unit_price=total - 3700))
    return PosCheckout(
        receipt_no=receipt,
        items=items,
        total=total,
        member=Identifier(kind=IdentifierKind.MEMBER_NO, value=member) if member else None,
        staff_id="S07",
        terminal="POS-1",
    )
