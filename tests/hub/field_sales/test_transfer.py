"""A leaving rep's open sample requests and order intents follow their customer's
successor (hub/crm/transfer/owned.py); closed requests and confirmed orders stay with the
leaver, as history."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer, SalesOrder, SampleRequest
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.hub.field_sales.walk_records import field_sales_records
from tests.support.hub_auth import add_staff

XUHUI = "store-sh-xuhui"
BOOK = [f"cus-demo-{n:02d}" for n in range(1, 6)]


def test_open_requests_and_intents_move_with_the_customer(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    for staff_id in ("fs-leaver", "fs-a", "fs-b"):
        add_staff(sessions, staff_id, "staff", store_id=XUHUI, password=None)
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.id.in_(BOOK)).values(owner_staff_id="fs-leaver")
        )
    open_ = field_sales_records(sessions, "open", "cus-demo-02", "fs-leaver", "fs-leaver")
    done = field_sales_records(sessions, "done", "cus-demo-02", "fs-leaver", "fs-leaver")
    with sessions.begin() as session:
        session.execute(
            update(SampleRequest)
            .where(SampleRequest.id == done["follow_up"])
            .values(status="closed")
        )
        session.execute(
            update(SalesOrder).where(SalesOrder.id == done["order"]).values(status="confirmed")
        )
    manager = client_as(sessions, CallerSpec("fs-sm", "store_manager", store_id=XUHUI))
    body = {"rule": "round_robin", "successors": ["fs-a", "fs-b"]}
    moved = manager.post("/staff/fs-leaver/transfer", json=body)
    manager.close()
    assert moved.status_code == 200, moved.text
    # Customers dealt a, b, a, b, a: cus-demo-02 goes to fs-b, and its open requests with
    # it: requested, approved and handed out of each set but the closed one (3 + 2), and
    # the one intent.
    assert moved.json()["counts"]["fs-b"] == {"customer": 2, "sample_request": 5, "sales_order": 1}
    with sessions() as session:
        reps = dict(session.execute(select(SampleRequest.id, SampleRequest.rep_staff_id)).all())
        orders = dict(session.execute(select(SalesOrder.id, SalesOrder.rep_staff_id)).all())
    assert {reps[open_[k]] for k in ("decide", "hand_out", "follow_up")} == {"fs-b"}
    assert {reps[done[k]] for k in ("decide", "hand_out")} == {"fs-b"}
    assert orders[open_["order"]] == "fs-b"
    assert reps[done["follow_up"]] == "fs-leaver" and orders[done["order"]] == "fs-leaver"
