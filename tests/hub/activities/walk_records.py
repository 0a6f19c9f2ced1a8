"""Records the write-route walk (tests/hub/test_route_walk_writes.py) acts on: for one
role, a visit, a day plan, a task and an intake ticket on a Shanghai customer (in every
scoped caller's scope) and the same on a Hangzhou one (in none)."""

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Task, Ticket, Visit, VisitPlan

TENANT = "tenant-demo"


def activity_records(
    sessions: sessionmaker[Session], tag: str, customer: str, staff_id: str
) -> dict[str, str]:
    """kind -> id of a fresh record of `customer`, made by `staff_id`."""
    now = datetime.now(UTC)
    ids = {kind: f"{kind}-walk-{tag}" for kind in ("visit", "plan", "task", "ticket")}
    with sessions.begin() as session:
        session.add(
            VisitPlan(id=ids["plan"], tenant_id=TENANT, staff_id=staff_id,
                      day=date(2026, 12, 3), created_at=now)
        )  # fmt: skip
        session.flush()
        for visit_id, plan in ((ids["visit"], None), (f"{ids['visit']}-stop", ids["plan"])):
            session.add(
                Visit(id=visit_id, tenant_id=TENANT, customer_id=customer, staff_id=staff_id,
                      plan_id=plan, stop_no=1 if plan else None, planned_at=now,
                      planned_lat=31.0, planned_lon=121.0, far=False, note="", created_at=now)
            )  # fmt: skip
        session.add(
            Task(id=ids["task"], tenant_id=TENANT, customer_id=customer, owner_staff_id=staff_id,
                 title="走", status="open", created_at=now)
        )  # fmt: skip
        session.add(
            Ticket(id=ids["ticket"], tenant_id=TENANT, customer_id=customer, title="走",
                   state="intake", opened_at=now, opened_by="test:walk", resolution="")
        )  # fmt: skip
    return ids
