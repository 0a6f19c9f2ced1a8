"""Tasks: added, overdue when open past their due time, done; every write audited and the
customer's stores' caches follow with the customer's open tasks (what the clerk's prompt
shows under "open tasks"); a leaver's open tasks and open tickets move with the transfer."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, CacheChange, Customer, Task, Ticket
from hub.gateways.cache_deltas import StoreDelta
from hub.gateways.cache_follow import follow_once
from tests.hub.activities.conftest import HZ_CUSTOMER
from tests.hub.callers import CallerSpec, SeededCallers, client_as
from tests.hub.org_scopes import ENGINEER, STAFF_XUHUI
from tests.support.hub_auth import add_staff

XUHUI = "store-sh-xuhui"
LIMIT = 256 * 1024


def _drain(sessions: sessionmaker[Session]) -> list[StoreDelta]:
    sent: list[StoreDelta] = []
    while follow_once(sessions, sent.extend, LIMIT):
        pass
    return sent


def _tasks_in_delta(sent: list[StoreDelta], customer: str) -> list[tuple[str, str]]:
    entries = [
        u for d in sent if d.store_id == XUHUI for u in d.delta.upserts if u.customer_id == customer
    ]
    assert entries, f"no delta of {customer} for {XUHUI}"
    return [(t.task_id, t.title) for t in entries[-1].open_tasks]


def test_a_new_task_reaches_the_cache_and_leaves_it_when_done(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    _drain(sessions)  # whatever seeding queued
    clerk = callers.as_(STAFF_XUHUI)
    due = "2026-12-04T10:00:00+08:00"
    made = clerk.post(
        "/tasks", json={"customer_id": "cus-demo-04", "title": "回访：退烧药效果", "due_at": due}
    )
    assert made.status_code == 201, made.text
    task = made.json()
    assert task["owner_staff_id"] == "stf-demo-xuhui-1" and task["status"] == "open"
    assert task["due_at"] == "2026-12-04T02:00:00Z"
    assert _tasks_in_delta(_drain(sessions), "cus-demo-04") == [(task["id"], "回访：退烧药效果")]
    done = clerk.patch(f"/tasks/{task['id']}", json={"status": "done"})
    assert done.json()["status"] == "done" and done.json()["done_at"] is not None
    assert _tasks_in_delta(_drain(sessions), "cus-demo-04") == []
    with sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_id == task["id"])
            .order_by(AuditEntry.id)
        ).all()
        queued = session.scalars(select(CacheChange)).all()
    assert actions == ["create", "update"]
    assert queued == []


def test_the_seeded_open_tasks_are_in_a_cache_entry_soonest_first(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    later = clerk.post(
        "/tasks",
        json={"customer_id": "cus-demo-01", "title": "later", "due_at": "2027-01-01T00:00:00Z"},
    ).json()
    no_due = clerk.post("/tasks", json={"customer_id": "cus-demo-01", "title": "any time"}).json()
    titles = [title for _id, title in _tasks_in_delta(_drain(sessions), "cus-demo-01")]
    assert titles == ["复购提醒：降压药", "later", "any time"]  # the demo's is due tomorrow
    assert later["overdue"] is False and no_due["overdue"] is False


def test_overdue_is_open_and_past_due(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    task = clerk.post(
        "/tasks", json={"customer_id": "cus-demo-05", "title": "过期", "due_at": past}
    ).json()
    assert task["overdue"] is True
    listed = clerk.get("/tasks", params={"customer_id": "cus-demo-05", "status": "open"}).json()
    assert [t["id"] for t in listed] == [task["id"]]
    done = clerk.patch(f"/tasks/{task['id']}", json={"status": "done"}).json()
    assert done["overdue"] is False


def test_tasks_out_of_scope_are_404(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    assert clerk.post("/tasks", json={"customer_id": HZ_CUSTOMER, "title": "x"}).status_code == 404
    with sessions.begin() as session:
        now = datetime.now(UTC)
        session.add(
            Task(id="tsk-hz", tenant_id="tenant-demo", customer_id=HZ_CUSTOMER, title="杭",
                 status="open", created_at=now)
        )  # fmt: skip
    assert clerk.get("/tasks/tsk-hz").status_code == 404
    assert clerk.patch("/tasks/tsk-hz", json={"status": "done"}).status_code == 404
    assert "tsk-hz" not in [t["id"] for t in clerk.get("/tasks").json()]
    assert callers.as_(ENGINEER).get("/tasks").status_code == 403


def test_a_leavers_open_tasks_and_tickets_move_with_the_transfer(
    sessions: sessionmaker[Session], callers: SeededCallers
) -> None:
    leaver = add_staff(sessions, "act-leaver", "staff", store_id=XUHUI, password=None)
    heir = add_staff(sessions, "act-heir", "staff", store_id=XUHUI, password=None)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.id == "cus-demo-06").values(owner_staff_id=leaver)
        )
        for task_id, status in (("tsk-mv-open", "open"), ("tsk-mv-done", "done")):
            session.add(
                Task(id=task_id, tenant_id="tenant-demo", customer_id="cus-demo-06",
                     owner_staff_id=leaver, title=task_id, status=status, created_at=now)
            )  # fmt: skip
        for ticket_id, state in (("tkt-mv-open", "assigned"), ("tkt-mv-done", "confirmed")):
            session.add(
                Ticket(id=ticket_id, tenant_id="tenant-demo", customer_id="cus-demo-06",
                       title=ticket_id, state=state, opened_at=now, opened_by="test",
                       assignee_staff_id=leaver, resolution="")
            )  # fmt: skip
    manager = client_as(sessions, CallerSpec("act-sm", "store_manager", store_id=XUHUI))
    moved = manager.post(f"/staff/{leaver}/transfer", json={"successors": [heir]})
    assert moved.status_code == 200, moved.text
    with sessions() as session:
        tasks = dict(
            session.execute(
                select(Task.id, Task.owner_staff_id).where(Task.id.like("tsk-mv-%"))
            ).all()
        )
        tickets = dict(
            session.execute(
                select(Ticket.id, Ticket.assignee_staff_id).where(Ticket.id.like("tkt-mv-%"))
            ).all()
        )
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "transfer")).one()
    assert tasks == {"tsk-mv-open": heir, "tsk-mv-done": leaver}  # done ones stay, as history
    assert tickets == {"tkt-mv-open": heir, "tkt-mv-done": leaver}
    assert entry.after is not None
    assert sorted(m[0] for m in entry.after["moved"]) == ["customer", "task", "ticket"]
    manager.close()
