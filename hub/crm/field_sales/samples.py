"""Sample requests: a rep asks for samples for a customer (requested), the rep's manager
approves or rejects (scoping.manages), the rep hands the approved samples out at one of
their visits to that customer (handed_out, with a follow-up due `follow_up_days` later and
a task for it), and the follow-up's outcome closes the request (follow_ups.py). Every
write is audited in the caller's transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities import tasks
from hub.crm.activities.scoping import of_reached_customers, reached_customer, writer
from hub.crm.field_sales.scoping import acts_for, manages, rows_in_scope
from hub.db.models import SampleRequest, Staff, Visit
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable

DEFAULT_FOLLOW_UP_DAYS = 14


@dataclass(frozen=True)
class SampleItem:
    sku: str
    name: str
    qty: int


@dataclass(frozen=True)
class SampleDraft:
    customer_id: str
    items: tuple[SampleItem, ...]
    reason: str = ""
    follow_up_days: int = DEFAULT_FOLLOW_UP_DAYS


def request_samples(
    session: Session, scope: Scope, draft: SampleDraft, now: datetime
) -> SampleRequest:
    """A request by the caller, the rep; an API key names no rep and is refused."""
    writer(scope)
    if scope.staff_id is None:
        raise Forbidden("a sample request is made by a member of staff, the rep")
    customer = reached_customer(session, scope, draft.customer_id)
    row = SampleRequest(
        id=f"smp-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        rep_staff_id=scope.staff_id,
        status="requested",
        items=[{"sku": i.sku, "name": i.name, "qty": i.qty} for i in draft.items],
        reason=draft.reason,
        follow_up_days=draft.follow_up_days,
        requested_at=now,
        decision_note="",
        follow_up_note="",
    )
    session.add(row)
    session.flush()
    audit.record(session, scope, "create", "sample_request", row.id,
                 after=trail(row), now=now)  # fmt: skip
    return row


def trail(row: SampleRequest) -> dict[str, object]:
    """What the audit keeps of a request: its values without the free text."""
    values = audit.row_values(row)
    for free in ("reason", "decision_note", "follow_up_note"):
        values.pop(free, None)
    return values


def get_sample_request(
    session: Session, scope: Scope, request_id: str, lock: bool = False
) -> SampleRequest:
    writer(scope)
    stmt = select(SampleRequest).where(
        SampleRequest.id == request_id, rows_in_scope(scope, SampleRequest)
    )
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"sample request {request_id}")
    return found


def rep_of(session: Session, row: SampleRequest) -> Staff:
    rep = session.get(Staff, row.rep_staff_id)
    assert rep is not None  # a foreign key
    return rep


def save_change(
    session: Session, scope: Scope, row: SampleRequest, action: str, before: dict[str, object],
    now: datetime,
) -> SampleRequest:  # fmt: skip
    session.flush()
    old, new = audit.changed(before, trail(row))
    audit.record(session, scope, action, "sample_request", row.id, before=old, after=new, now=now)
    return row


def decide(
    session: Session, scope: Scope, request_id: str, approve: bool, note: str, now: datetime
) -> SampleRequest:
    """The rep's manager approves or rejects a requested sample (403 for anyone else)."""
    row = get_sample_request(session, scope, request_id, lock=True)
    if not manages(scope, rep_of(session, row)):
        raise Forbidden("only the rep's store or regional manager (or an admin) decides")
    if row.status != "requested":
        raise Conflict(f"sample request {request_id} is {row.status}, not requested")
    before = trail(row)
    row.status = "approved" if approve else "rejected"
    row.decided_at, row.decided_by, row.decision_note = now, scope.subject, note
    return save_change(session, scope, row, "approve" if approve else "reject", before, now)


def _visit_of(session: Session, scope: Scope, row: SampleRequest, visit_id: str) -> Visit:
    visit = session.scalar(
        select(Visit).where(
            Visit.id == visit_id,
            Visit.tenant_id == scope.tenant_id,
            of_reached_customers(scope, Visit.customer_id),
        )
    )
    if visit is None:
        raise Unprocessable((["body", "visit_id"], f"no visit {visit_id} in your scope"))
    if visit.customer_id != row.customer_id or visit.staff_id != row.rep_staff_id:
        raise Unprocessable(
            (["body", "visit_id"], "the visit must be the rep's, to the request's customer")
        )
    return visit


def hand_out(
    session: Session, scope: Scope, request_id: str, visit_id: str, now: datetime
) -> SampleRequest:
    """Approved samples handed out at the rep's visit to the customer; the follow-up is
    due `follow_up_days` later, and a task for it goes to the rep."""
    row = get_sample_request(session, scope, request_id, lock=True)
    rep = rep_of(session, row)
    if not acts_for(scope, rep):
        raise Forbidden("the rep, or their manager, records the hand-out")
    if row.status != "approved":
        raise Conflict(f"sample request {request_id} is {row.status}, not approved")
    visit = _visit_of(session, scope, row, visit_id)
    before = trail(row)
    row.status, row.visit_id, row.handed_out_at = "handed_out", visit.id, now
    row.follow_up_due_at = now + timedelta(days=row.follow_up_days)
    owner = None if scope.staff_id == rep.id else rep.id
    title = f"样品回访 sample follow-up {row.id}"
    task = tasks.add_task(
        session, scope, tasks.NewTask(row.customer_id, title, row.follow_up_due_at, owner), now
    )
    row.follow_up_task_id = task.id
    return save_change(session, scope, row, "hand_out", before, now)
