"""Records the route walks (tests/hub/test_route_walk.py, test_route_walk_writes.py) act
on: sample requests at each step and an order intent, of one customer."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import SalesOrder, SampleRequest, Visit

TENANT = "tenant-demo"
ITEMS = [{"sku": "VET-1", "name": "走样品", "qty": 1}]


def _sample(request_id: str, customer: str, rep: str, status: str, now: datetime) -> SampleRequest:
    handed = now if status == "handed_out" else None
    return SampleRequest(
        id=request_id, tenant_id=TENANT, customer_id=customer, rep_staff_id=rep, status=status,
        items=ITEMS, reason="", follow_up_days=14, requested_at=now, decision_note="",
        handed_out_at=handed, follow_up_due_at=handed and handed + timedelta(days=14),
        follow_up_note="",
    )  # fmt: skip


def field_sales_records(
    sessions: sessionmaker[Session], tag: str, customer: str, manager_of: str, rep: str
) -> dict[str, str]:
    """kind -> id: a request of `manager_of`'s (to decide), an approved one of `rep`'s with
    `rep`'s visit to the customer (to hand out at), a handed-out one of `rep`'s (to follow
    up), and an order intent."""
    now = datetime.now(UTC)
    ids = {k: f"fs-{k}-walk-{tag}" for k in ("decide", "hand_out", "follow_up", "order", "visit")}
    with sessions.begin() as session:
        session.add(
            Visit(id=ids["visit"], tenant_id=TENANT, customer_id=customer, staff_id=rep,
                  planned_at=now, far=False, note="", created_at=now)
        )  # fmt: skip
        session.add(_sample(ids["decide"], customer, manager_of, "requested", now))
        session.add(_sample(ids["hand_out"], customer, rep, "approved", now))
        session.add(_sample(ids["follow_up"], customer, rep, "handed_out", now))
        session.add(
            SalesOrder(id=ids["order"], tenant_id=TENANT, customer_id=customer,
                       rep_staff_id=rep, status="intent", lines=[], total_fen=0,
                       competitor_name="", competitor_product="", competitor_note="",
                       created_at=now)
        )  # fmt: skip
    return ids
