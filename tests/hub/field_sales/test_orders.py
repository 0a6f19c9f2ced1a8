"""Orders taken in the field: intent → confirmed or cancelled, linked to the customer's
deal and visit (checked), with the competitor feedback stored and returned; audited, on
the timeline, and out of reach across regions."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, SalesOrder
from tests.hub.callers import SeededCallers
from tests.hub.field_sales.conftest import CLERK, HZ_CUSTOMER, RM_HZ, SM_XIHU
from tests.hub.org_scopes import ADMIN, STAFF_XUHUI

LINES = [
    {"sku": "VET-AMX-10", "name": "阿莫西林可溶性粉", "qty": 2, "unit_price": 1250},
    {"sku": "VET-IVM-1", "name": "伊维菌素注射液", "qty": 3, "unit_price": 999},
]
TOTAL = 2 * 1250 + 3 * 999  # 5497 fen
COMPETITOR = {
    "name": "瑞普生物",
    "product": "阿莫西林 20%",
    "unit_price": 1100,
    "reason": "relationship",
    "note": "老客户，服务好",
}


def _visit(client: TestClient, customer: str) -> str:
    body = {"customer_id": customer, "planned_at": "2026-12-03T10:00:00+08:00"}
    made = client.post("/visits", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _order(client: TestClient, **fields: Any) -> dict[str, Any]:
    made = client.post("/orders", json={"customer_id": "cus-demo-01", "lines": LINES} | fields)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_an_order_from_intent_to_confirmed(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    visit = _visit(clerk, "cus-demo-01")
    order = _order(clerk, deal_id="deal-demo-01", visit_id=visit, competitor=COMPETITOR)
    assert order["status"] == "intent" and order["total_fen"] == TOTAL == 5497
    assert order["lines"] == LINES and order["rep_staff_id"] == CLERK
    assert (order["deal_id"], order["visit_id"]) == ("deal-demo-01", visit)
    assert order["competitor"] == COMPETITOR
    path = f"/orders/{order['id']}/transitions"
    won = {"to": "confirmed", "competitor": COMPETITOR | {"reason": "price", "unit_price": 1300}}
    confirmed = clerk.post(path, json=won)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed" and confirmed.json()["confirmed_at"]
    again = clerk.get(f"/orders/{order['id']}").json()
    assert again["competitor"]["reason"] == "price" and again["competitor"]["unit_price"] == 1300
    assert clerk.post(path, json={"to": "cancelled"}).status_code == 409
    with sessions() as session:
        row = session.get(SalesOrder, order["id"])
        assert row is not None and row.competitor_name == "瑞普生物"
        assert row.competitor_product == "阿莫西林 20%" and row.competitor_reason == "price"
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == order["id"]).order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == ["create", "confirm"]
    assert "competitor_note" not in (entries[0].after or {})  # free text stays out
    timeline = clerk.get("/customers/cus-demo-01/timeline").json()
    titles = [(e["id"], e["title"]) for e in timeline["entries"] if e["source"] == "sales_order"]
    assert titles == [(order["id"], "订单 order (confirmed): 54.97 CNY")]


def test_a_cancelled_order_keeps_why_it_was_lost(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    order = _order(clerk)
    assert order["competitor"] == {
        "name": "", "product": "", "unit_price": None, "reason": None, "note": "",
    }  # fmt: skip
    lost = COMPETITOR | {"reason": "availability"}
    body = {"to": "cancelled", "competitor": lost}
    cancelled = clerk.post(f"/orders/{order['id']}/transitions", json=body)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["competitor"]["reason"] == "availability"
    listed = clerk.get("/orders", params={"status": "cancelled"}).json()["orders"]
    assert [o["id"] for o in listed] == [order["id"]]


def test_links_must_be_the_customers_and_in_scope(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    elsewhere = _visit(clerk, "cus-demo-04")
    hz_visit = _visit(callers.as_(ADMIN), HZ_CUSTOMER)
    clerk = callers.as_(STAFF_XUHUI)
    cases = [
        ({"visit_id": elsewhere}, "visit_id"),  # another customer's visit
        ({"visit_id": hz_visit}, "visit_id"),  # out of the clerk's scope
        ({"deal_id": "deal-nowhere"}, "deal_id"),
    ]
    for link, field in cases:
        refused = clerk.post("/orders", json={"customer_id": "cus-demo-01", "lines": LINES} | link)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", field]
    # An admin reaches the Hangzhou visit, but it is another customer's.
    admin = callers.as_(ADMIN)
    wrong = admin.post(
        "/orders", json={"customer_id": "cus-demo-01", "lines": LINES, "visit_id": hz_visit}
    )
    assert wrong.status_code == 422, wrong.text
    assert admin.get("/orders").json()["orders"] == []


def test_orders_are_out_of_reach_across_regions(callers: SeededCallers) -> None:
    order = _order(callers.as_(STAFF_XUHUI))
    for scope in (SM_XIHU, RM_HZ):
        client = callers.as_(scope)
        assert client.get(f"/orders/{order['id']}").status_code == 404
        assert client.get("/orders").json()["orders"] == []
        moved = client.post(f"/orders/{order['id']}/transitions", json={"to": "confirmed"})
        assert moved.status_code == 404
    assert callers.as_(STAFF_XUHUI).get(f"/orders/{order['id']}").status_code == 200
    made = callers.as_(SM_XIHU).post("/orders", json={"customer_id": "cus-demo-01", "lines": LINES})
    assert made.status_code == 404
