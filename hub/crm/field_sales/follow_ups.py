"""After the hand-out: the follow-up's outcome (converted, interested, no interest) closes
the request and marks its task done; overdue is computed (handed out, not followed up,
due before now), never stored. The list is keyset paged by id (uuid7: creation order)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.crm.activities import tasks
from hub.crm.activities.scoping import writer
from hub.crm.customer_view import Page
from hub.crm.field_sales.samples import get_sample_request, rep_of, save_change, trail
from hub.crm.field_sales.scoping import acts_for, rows_in_scope
from hub.crm.org.paging import id_page
from hub.db.models import SampleRequest
from hub.errors import Conflict, Forbidden

Outcome = Literal["converted", "interested", "no_interest"]


def is_overdue(row: SampleRequest, now: datetime) -> bool:
    due = row.follow_up_due_at
    return row.status == "handed_out" and due is not None and due < now


def follow_up(
    session: Session, scope: Scope, request_id: str, outcome: Outcome, note: str, now: datetime
) -> SampleRequest:
    row = get_sample_request(session, scope, request_id, lock=True)
    if not acts_for(scope, rep_of(session, row)):
        raise Forbidden("the rep, or their manager, records the follow-up")
    if row.status != "handed_out":
        raise Conflict(f"sample request {request_id} is {row.status}, not handed out")
    before = trail(row)
    row.status, row.follow_up_outcome = "closed", outcome
    row.follow_up_note, row.followed_up_at = note, now
    if row.follow_up_task_id is not None:
        done = tasks.TaskChanges(status="done")
        tasks.change_task(session, scope, row.follow_up_task_id, done, now)
    return save_change(session, scope, row, "follow_up", before, now)


@dataclass(frozen=True)
class SampleFilter:
    status: str | None = None
    customer_id: str | None = None
    rep_staff_id: str | None = None
    follow_up_overdue: bool | None = None


def list_sample_requests(
    session: Session, scope: Scope, where: SampleFilter, after: str | None, limit: int,
    now: datetime,
) -> Page[SampleRequest]:  # fmt: skip
    writer(scope)
    stmt = select(SampleRequest).where(rows_in_scope(scope, SampleRequest))
    if where.status is not None:
        stmt = stmt.where(SampleRequest.status == where.status)
    if where.customer_id is not None:
        stmt = stmt.where(SampleRequest.customer_id == where.customer_id)
    if where.rep_staff_id is not None:
        stmt = stmt.where(SampleRequest.rep_staff_id == where.rep_staff_id)
    overdue = (SampleRequest.status == "handed_out") & (SampleRequest.follow_up_due_at < now)
    if where.follow_up_overdue is True:
        stmt = stmt.where(overdue)
    elif where.follow_up_overdue is False:
        stmt = stmt.where(~overdue)
    return id_page(session, stmt, SampleRequest.id, after, limit)
