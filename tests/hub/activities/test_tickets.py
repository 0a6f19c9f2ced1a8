"""A service ticket's life: intake, assigned, resolved, confirmed by the customer; each
step stamps when and who and is audited; a step from the wrong state is 409 and changes
nothing."""

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry
from tests.hub.activities.conftest import HZ_CUSTOMER
from tests.hub.callers import SeededCallers
from tests.hub.org_scopes import ENGINEER, RM_SH, SM_XUHUI, STAFF_XUHUI


def _open(callers: SeededCallers) -> dict[str, object]:
    client = callers.as_(STAFF_XUHUI)
    made = client.post("/tickets", json={"customer_id": "cus-demo-01", "title": "血压计读数不准"})
    assert made.status_code == 201, made.text
    body: dict[str, object] = made.json()
    return body


def test_intake_assign_resolve_confirm(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    ticket = _open(callers)
    assert ticket["state"] == "intake"
    assert ticket["store_id"] == "store-sh-xuhui"  # the customer's home store
    assert ticket["opened_by"] == "staff:stf-demo-xuhui-1"
    path = f"/tickets/{ticket['id']}/transitions"
    manager = callers.as_(SM_XUHUI)
    assigned = manager.post(
        path, json={"action": "assign", "assignee_staff_id": "stf-demo-xuhui-1"}
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["state"] == "assigned"
    assert assigned.json()["assigned_by"] == "staff:stf-demo-sm-xuhui"
    assert assigned.json()["assignee_staff_id"] == "stf-demo-xuhui-1"
    clerk = callers.as_(STAFF_XUHUI)
    resolved = clerk.post(path, json={"action": "resolve", "resolution": "更换袖带"})
    assert resolved.json()["state"] == "resolved"
    assert resolved.json()["resolution"] == "更换袖带"
    assert resolved.json()["resolved_by"] == "staff:stf-demo-xuhui-1"
    confirmed = clerk.post(path, json={"action": "confirm"})
    body = confirmed.json()
    assert body["state"] == "confirmed"
    assert body["opened_at"] <= body["assigned_at"] <= body["resolved_at"] <= body["confirmed_at"]
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == ticket["id"])
            .order_by(AuditEntry.id)
        ).all()
    assert entries == ["create", "assign", "resolve", "confirm"]


def test_a_step_from_the_wrong_state_is_409(callers: SeededCallers) -> None:
    ticket = _open(callers)
    path = f"/tickets/{ticket['id']}/transitions"
    client = callers.as_(STAFF_XUHUI)
    for action in ("resolve", "confirm", "reopen"):  # none starts from intake
        refused = client.post(path, json={"action": action})
        assert refused.status_code == 409, (action, refused.text)
    assert client.get(f"/tickets/{ticket['id']}").json()["state"] == "intake"
    assert client.post(path, json={"action": "assign"}).json()["assignee_staff_id"] == (
        "stf-demo-xuhui-1"  # the caller, when nobody is named
    )
    assert client.post(path, json={"action": "resolve"}).status_code == 200
    reopened = client.post(path, json={"action": "reopen"})  # the customer is not satisfied
    assert reopened.json()["state"] == "assigned" and reopened.json()["resolved_at"] is None
    assert client.post(path, json={"action": "resolve"}).status_code == 200
    assert client.post(path, json={"action": "confirm"}).status_code == 200
    assert client.post(path, json={"action": "confirm"}).status_code == 409


def test_out_of_scope_is_404_and_roles_see_what_they_are_shown(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    assert (
        clerk.post("/tickets", json={"customer_id": HZ_CUSTOMER, "title": "x"}).status_code == 404
    )
    ticket = _open(callers)
    # Assigning to staff the caller does not reach (Hangzhou's) is as if they did not exist.
    far = clerk.post(
        f"/tickets/{ticket['id']}/transitions",
        json={"action": "assign", "assignee_staff_id": "stf-demo-xihu-1"},
    )
    assert far.status_code == 404, far.text
    regional = callers.as_(RM_SH).get(f"/tickets/{ticket['id']}")
    assert regional.status_code == 200
    assert regional.json()["title"] is None  # not shown free text, which may say health
    assert callers.as_(ENGINEER).get(f"/tickets/{ticket['id']}").status_code == 403
