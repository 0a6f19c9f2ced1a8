"""Sample requests: approved by the rep's manager only, handed out at the rep's visit to
the customer, followed up (overdue when the due date passed), audited, on the timeline."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, SampleRequest, Task
from tests.hub.callers import SeededCallers
from tests.hub.field_sales.conftest import CLERK, JINGAN_CUSTOMER, RM_HZ, SM_JINGAN, SM_XIHU
from tests.hub.org_scopes import ADMIN, RM_SH, SM_XUHUI, STAFF_XUHUI

ITEMS = [
    {"sku": "VET-AMX-10", "name": "阿莫西林可溶性粉 10%", "qty": 3},
    {"sku": "VET-IVM-1", "name": "伊维菌素注射液", "qty": 2},
]


def _request(clerk: TestClient, customer: str = "cus-demo-01", **extra: Any) -> dict[str, Any]:
    made = clerk.post(
        "/sample-requests",
        json={"customer_id": customer, "items": ITEMS, "reason": "猪场试用", **extra},
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _actions(sessions: sessionmaker[Session], entity_id: str) -> list[str]:
    with sessions() as session:
        rows = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
        return list(rows)


def _visit(client: TestClient, customer: str, staff_id: str | None = None) -> str:
    body = {"customer_id": customer, "planned_at": "2026-12-03T10:00:00+08:00"}
    made = client.post("/visits", json=body | ({"staff_id": staff_id} if staff_id else {}))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_only_the_reps_manager_decides(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    request = _request(callers.as_(STAFF_XUHUI))
    assert request["status"] == "requested" and request["rep_staff_id"] == CLERK
    assert request["items"] == ITEMS and request["follow_up_days"] == 14
    path = f"/sample-requests/{request['id']}/decision"
    yes = {"decision": "approve", "note": "可以"}
    assert callers.as_(STAFF_XUHUI).post(path, json=yes).status_code == 403  # the rep
    assert callers.as_(SM_XIHU).post(path, json=yes).status_code == 404  # Hangzhou
    assert callers.as_(RM_HZ).post(path, json=yes).status_code == 404
    made = callers.as_(SM_XUHUI).post(path, json=yes)
    assert made.status_code == 200, made.text
    assert made.json()["status"] == "approved"
    assert made.json()["decided_by"] == "staff:stf-demo-sm-xuhui"
    assert callers.as_(SM_XUHUI).post(path, json=yes).status_code == 409
    assert _actions(sessions, request["id"]) == ["create", "approve"]


def test_another_stores_manager_who_sees_the_customer_is_refused(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    request = _request(callers.as_(STAFF_XUHUI), JINGAN_CUSTOMER)
    path = f"/sample-requests/{request['id']}/decision"
    no = {"decision": "reject", "note": "库存不足"}
    jingan = callers.as_(SM_JINGAN)
    assert jingan.get(f"/sample-requests/{request['id']}").status_code == 200
    assert jingan.post(path, json=no).status_code == 403
    assert _actions(sessions, request["id"]) == ["create"]
    # The regional manager of the rep's region may decide; so may an admin (not again).
    rejected = callers.as_(RM_SH).post(path, json=no)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert callers.as_(ADMIN).post(path, json=no).status_code == 409
    second = _request(callers.as_(STAFF_XUHUI), JINGAN_CUSTOMER)
    by_admin = callers.as_(ADMIN).post(f"/sample-requests/{second['id']}/decision", json=no)
    assert by_admin.status_code == 200, by_admin.text


def test_hand_out_at_the_reps_visit_to_the_customer(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    request = _request(clerk, follow_up_days=7)
    path = f"/sample-requests/{request['id']}/hand-out"
    right = _visit(clerk, "cus-demo-01")
    assert clerk.post(path, json={"visit_id": right}).status_code == 409  # not approved
    callers.as_(SM_XUHUI).post(
        f"/sample-requests/{request['id']}/decision", json={"decision": "approve"}
    )
    clerk = callers.as_(STAFF_XUHUI)
    other_customer = _visit(clerk, "cus-demo-04")
    other_rep = _visit(callers.as_(SM_XUHUI), "cus-demo-01")  # the manager's own visit
    clerk = callers.as_(STAFF_XUHUI)
    for wrong in (other_customer, other_rep, "vis-nowhere"):
        refused = clerk.post(path, json={"visit_id": wrong})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "visit_id"]
    given = clerk.post(path, json={"visit_id": right})
    assert given.status_code == 200, given.text
    out = given.json()
    assert out["status"] == "handed_out" and out["visit_id"] == right
    handed = datetime.fromisoformat(out["handed_out_at"])
    assert datetime.fromisoformat(out["follow_up_due_at"]) == handed + timedelta(days=7)
    assert out["follow_up_overdue"] is False
    with sessions() as session:
        task = session.get(Task, out["follow_up_task_id"])
        assert task is not None and task.owner_staff_id == CLERK and task.status == "open"
        assert task.due_at == handed + timedelta(days=7) and task.customer_id == "cus-demo-01"
    assert _actions(sessions, request["id"]) == ["create", "approve", "hand_out"]
    timeline = clerk.get("/customers/cus-demo-01/timeline").json()
    entries = [e for e in timeline["entries"] if e["source"] == "sample_request"]
    assert [(e["id"], e["title"]) for e in entries] == [
        (request["id"], "样品 samples (handed_out): 2 item(s)")
    ]


def _handed_out(callers: SeededCallers) -> dict[str, Any]:
    clerk = callers.as_(STAFF_XUHUI)
    request = _request(clerk)
    visit = _visit(clerk, "cus-demo-01")
    callers.as_(SM_XUHUI).post(
        f"/sample-requests/{request['id']}/decision", json={"decision": "approve"}
    )
    given = callers.as_(STAFF_XUHUI).post(
        f"/sample-requests/{request['id']}/hand-out", json={"visit_id": visit}
    )
    assert given.status_code == 200, given.text
    body: dict[str, Any] = given.json()
    return body


def test_overdue_follow_ups_are_listed_until_followed_up(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    late, on_time = _handed_out(callers), _handed_out(callers)
    with sessions.begin() as session:  # hand-set: due yesterday
        yesterday = datetime.now(UTC) - timedelta(days=1)
        session.execute(
            update(SampleRequest)
            .where(SampleRequest.id == late["id"])
            .values(follow_up_due_at=yesterday)
        )
    clerk = callers.as_(STAFF_XUHUI)
    overdue = clerk.get("/sample-requests", params={"follow_up_overdue": "true"}).json()
    assert [r["id"] for r in overdue["sample_requests"]] == [late["id"]]
    assert overdue["sample_requests"][0]["follow_up_overdue"] is True
    page = clerk.get("/sample-requests", params={"status": "handed_out", "limit": 1}).json()
    assert [r["id"] for r in page["sample_requests"]] == [late["id"]]  # uuid7: oldest first
    rest = clerk.get("/sample-requests", params={"status": "handed_out", "after": page["next"]})
    assert [r["id"] for r in rest.json()["sample_requests"]] == [on_time["id"]]
    assert rest.json()["next"] is None
    done = clerk.post(
        f"/sample-requests/{late['id']}/follow-up",
        json={"outcome": "converted", "note": "下单两箱"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "closed" and done.json()["follow_up_outcome"] == "converted"
    assert (
        clerk.post(
            f"/sample-requests/{late['id']}/follow-up", json={"outcome": "interested"}
        ).status_code
        == 409
    )
    again = clerk.get("/sample-requests", params={"follow_up_overdue": "true"}).json()
    assert again["sample_requests"] == []
    with sessions() as session:
        task = session.get(Task, late["follow_up_task_id"])
        assert task is not None and task.status == "done"
    assert _actions(sessions, late["id"]) == ["create", "approve", "hand_out", "follow_up"]


def test_out_of_region_callers_do_not_see_requests(callers: SeededCallers) -> None:
    request = _request(callers.as_(STAFF_XUHUI))
    for scope in (SM_XIHU, RM_HZ):
        client = callers.as_(scope)
        assert client.get(f"/sample-requests/{request['id']}").status_code == 404
        assert client.get("/sample-requests").json()["sample_requests"] == []
    seen = callers.as_(RM_SH).get(f"/sample-requests/{request['id']}")
    assert seen.status_code == 200 and seen.json()["items"] == ITEMS
