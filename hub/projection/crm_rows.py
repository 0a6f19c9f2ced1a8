"""The CRM rows of many events, written with one statement per table."""

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub.db.bulk import insert_rows
from hub.db.models import Lead, Purchase, PurchaseItem, Touchpoint

TOUCHPOINTS = cast(Table, Touchpoint.__table__)
PURCHASES = cast(Table, Purchase.__table__)
ITEMS = cast(Table, PurchaseItem.__table__)
NEXT_PURCHASE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('purchases', 'id')) FROM generate_series(1, :n)"
)


@dataclass
class CrmRows:
    """What one event writes. `marks_customer`: the customer's cached view changes even
    when resolving it changed nothing (a new purchase)."""

    touchpoint: dict[str, Any] | None = None
    purchase: dict[str, Any] | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    lead: dict[str, Any] | None = None  # a lead a gateway captured (lead.captured)
    marks_customer: bool = False

    def staff_rows(self) -> list[dict[str, Any]]:
        """The rows that carry a till's staff_id (crm_staff.py links them)."""
        return [r for r in (self.touchpoint, self.purchase) if r is not None]

    def staff_codes(self) -> set[str]:
        return {r["staff_id"] for r in self.staff_rows() if r["staff_id"] is not None}


def write_rows(session: Session, rows: list[CrmRows]) -> None:
    insert_rows(session, TOUCHPOINTS, [r.touchpoint for r in rows if r.touchpoint is not None])
    leads = [r.lead for r in rows if r.lead is not None]
    if leads:  # few, and once per event id even if a redelivery reaches a second hub
        session.execute(insert(Lead).values(leads).on_conflict_do_nothing())
    sold = [(r.purchase, r.items) for r in rows if r.purchase is not None]
    if not sold:
        return
    ids = _insert_purchases(session, [purchase for purchase, _items in sold])
    items = [
        {"purchase_id": purchase_id, "tenant_id": purchase["tenant_id"], **item}
        for (purchase, items), purchase_id in zip(sold, ids, strict=True)
        for item in items
    ]
    insert_rows(session, ITEMS, items)


def _insert_purchases(session: Session, purchases: list[dict[str, Any]]) -> list[int]:
    """Insert purchases and return their ids in order: items need them."""
    # Take the ids from the sequence first, then COPY with them.
    ids = list(session.scalars(NEXT_PURCHASE_IDS, {"n": len(purchases)}))
    insert_rows(session, PURCHASES, [{"id": i, **p} for i, p in zip(ids, purchases, strict=True)])
    return ids
