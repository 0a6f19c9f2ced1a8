"""家属代购: recording that a purchase was bought for another member of the buyer's
household (`purchases.for_customer_id`).

Two ways in:
- the clerk's 家属代购 tick names the member (`pos.service_logged.for_customer_id`); the
  projection keeps it on the tick's touchpoint and `link_ticks` puts it on the buyer's
  purchase in that store nearest in time to the tick, within TICK_WINDOW either side
  (the tick may be logged before the till sends the checkout, or after). A tick links one
  purchase; a purchase already marked is left as it is; a member who is not (or no
  longer) in the buyer's household is not linked (the tick stays on the touchpoint).
- `mark_purchase` (PATCH /purchases/{id}), audited.
Both queue the household's members for their stores' caches."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.customer_changes import mark_changed
from hub.crm.customer_scope import customer_in_scope, rows_in_scope
from hub.crm.households.members import CustomerRef, may_write
from hub.db.models import Customer, HouseholdMember, Purchase
from hub.errors import NotFound, Unprocessable

FAMILY_PURCHASE = "family_purchase"  # edge/counter_services.py: the 家属代购 tick
TICK_WINDOW = timedelta(minutes=30)

LINK_TICKS = text(
    "WITH pairs AS ("
    " SELECT DISTINCT ON (t.id) t.id AS tick_id, p.id AS purchase_id, t.for_customer_id,"
    " abs(extract(epoch FROM p.at - t.at)) AS gap"
    " FROM touchpoints t"
    " JOIN household_members b ON b.customer_id = t.customer_id"
    " JOIN household_members f ON f.customer_id = t.for_customer_id"
    "  AND f.household_id = b.household_id AND f.customer_id <> b.customer_id"
    " JOIN purchases p ON p.customer_id = t.customer_id AND p.store_id = t.store_id"
    "  AND p.at BETWEEN t.at - :window AND t.at + :window AND p.for_customer_id IS NULL"
    " WHERE t.tenant_id = :tenant_id AND t.for_customer_id IS NOT NULL"
    "  AND t.customer_id = ANY(:buyers)"
    "  AND (t.event_id = ANY(:events) OR p.event_id = ANY(:events))"
    "  AND NOT EXISTS (SELECT 1 FROM purchases q WHERE q.customer_id = t.customer_id"
    "   AND q.store_id = t.store_id AND q.for_customer_id = t.for_customer_id"
    "   AND q.at BETWEEN t.at - :window AND t.at + :window)"
    " ORDER BY t.id, gap, p.id),"
    " picked AS (SELECT DISTINCT ON (purchase_id) purchase_id, for_customer_id FROM pairs"
    "  ORDER BY purchase_id, gap, tick_id) "
    "UPDATE purchases SET for_customer_id = picked.for_customer_id FROM picked "
    "WHERE purchases.id = picked.purchase_id RETURNING purchases.customer_id"
)
HOUSEHOLDS_OF = text(
    "SELECT o.customer_id FROM household_members m JOIN household_members o"
    " ON o.household_id = m.household_id WHERE m.customer_id = ANY(:ids)"
)


class PurchaseFor(BaseModel):
    model_config = ConfigDict(extra="forbid")

    for_customer_id: CustomerRef | None = Field(
        description="another member of the buyer's household; null: bought for themselves"
    )


def link_ticks(session: Session, tenant_id: str, events: Mapping[str, str]) -> set[str]:
    """Link this batch's 家属代购 ticks and checkouts (event id -> buyer); the customers
    whose cache entries change (every member of the households concerned)."""
    if not events:
        return set()
    params = {
        "tenant_id": tenant_id,
        "events": sorted(events),
        "buyers": sorted(set(events.values())),
        "window": TICK_WINDOW,
    }
    buyers = set(session.scalars(LINK_TICKS, params))
    return _household_members(session, buyers)


def mark_purchase(
    *, session: Session, scope: Scope, purchase_id: int, draft: PurchaseFor
) -> Purchase:
    may_write(scope)
    purchase = _purchase_in_scope(session, scope, purchase_id)
    if draft.for_customer_id is not None:
        _same_household(session, purchase.customer_id or "", draft.for_customer_id)
    before = {"for_customer_id": purchase.for_customer_id}
    if purchase.for_customer_id != draft.for_customer_id:
        purchase.for_customer_id = draft.for_customer_id
        session.flush()
        now = datetime.now(UTC)
        changed = _household_members(session, {purchase.customer_id or ""})
        mark_changed(session, scope.tenant_id, changed, now)
    after = {"for_customer_id": purchase.for_customer_id}
    audit.record(
        session, scope, "mark_for", "purchase", str(purchase.id), before=before, after=after
    )
    return purchase


def _purchase_in_scope(session: Session, scope: Scope, purchase_id: int) -> Purchase:
    row = session.execute(
        select(Purchase, Customer)
        .join(Customer, Customer.id == Purchase.customer_id)
        .where(Purchase.id == purchase_id, customer_in_scope(scope))
    ).first()
    if row is None:
        raise NotFound("no such purchase")
    purchase, customer = row[0], row[1]
    visible = session.scalar(
        select(Purchase.id).where(
            Purchase.id == purchase_id, rows_in_scope(scope, customer, Purchase.store_id)
        )
    )
    if visible is None:
        raise NotFound("no such purchase")
    return purchase


def _same_household(session: Session, buyer_id: str, for_id: str) -> None:
    buyer = session.get(HouseholdMember, buyer_id)
    other = session.get(HouseholdMember, for_id)
    if (
        buyer is None
        or other is None
        or other.household_id != buyer.household_id
        or for_id == buyer_id
    ):
        raise Unprocessable(
            (["body", "for_customer_id"], "not another member of the buyer's household")
        )


def _household_members(session: Session, customer_ids: set[str]) -> set[str]:
    ids = sorted(customer_ids - {""})
    if not ids:
        return set()
    return set(session.scalars(HOUSEHOLDS_OF, {"ids": ids})) | set(ids)
