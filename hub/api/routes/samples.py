"""Sample requests of field reps (docs/crm/field-sales.md): requested by the rep, decided
by the rep's manager, handed out at the rep's visit, followed up; overdue follow-ups
listed."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.field_sales_schemas import (
    DecisionIn,
    FollowUpIn,
    HandOutIn,
    SampleItemOut,
    SampleRequestIn,
    SampleRequestOut,
    SampleRequestPage,
)
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS, After, Limit
from hub.api.schemas import Problem
from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.field_sales import follow_ups, samples
from hub.crm.org.fields import PRINTABLE
from hub.crm.org.paging import DEFAULT_LIMIT
from hub.db.models import SampleRequest

router = APIRouter(
    prefix="/sample-requests", tags=["field sales"], responses={503: {"model": Problem}}
)
RequestIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
RefQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]
SampleStatus = Literal["requested", "approved", "rejected", "handed_out", "closed"]
_STEP_ERRORS = {**WRITE_ERRORS, 409: {"model": Problem, "description": "not at that step"}}


def sample_out(scope: Scope, row: SampleRequest, now: datetime) -> SampleRequestOut:
    words = shown_to(scope.role).health_tags  # free text: for the roles shown health data
    return SampleRequestOut(
        id=row.id,
        customer_id=row.customer_id,
        rep_staff_id=row.rep_staff_id,
        status=row.status,
        items=[SampleItemOut.model_validate(i) for i in row.items],
        reason=row.reason if words else None,
        follow_up_days=row.follow_up_days,
        requested_at=row.requested_at,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        decision_note=row.decision_note if words else None,
        visit_id=row.visit_id,
        handed_out_at=row.handed_out_at,
        follow_up_due_at=row.follow_up_due_at,
        follow_up_task_id=row.follow_up_task_id,
        follow_up_overdue=follow_ups.is_overdue(row, now),
        follow_up_outcome=row.follow_up_outcome,
        follow_up_note=row.follow_up_note if words else None,
        followed_up_at=row.followed_up_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def request_samples(
    body: SampleRequestIn, session: WriteSessionDep, scope: ScopeDep
) -> SampleRequestOut:
    """Samples for a customer in scope, asked for by the caller (the rep); status
    `requested` until the rep's manager decides."""
    now = datetime.now(UTC)
    items = tuple(samples.SampleItem(i.sku, i.name, i.qty) for i in body.items)
    draft = samples.SampleDraft(body.customer_id, items, body.reason, body.follow_up_days)
    return sample_out(scope, samples.request_samples(session, scope, draft, now), now)


@router.get("")
def list_sample_requests(
    session: SessionDep,
    scope: ScopeDep,
    sample_status: Annotated[SampleStatus | None, Query(alias="status")] = None,
    customer_id: RefQuery = None,
    rep_staff_id: RefQuery = None,
    follow_up_overdue: Annotated[bool | None, Query()] = None,
    after: After = None,
    limit: Limit = DEFAULT_LIMIT,
) -> SampleRequestPage:
    """Sample requests in scope, oldest first, a page at a time (`after`: the `next` of
    the previous page). `follow_up_overdue=true`: handed out, follow-up due and not done."""
    now = datetime.now(UTC)
    where = follow_ups.SampleFilter(sample_status, customer_id, rep_staff_id, follow_up_overdue)
    page = follow_ups.list_sample_requests(session, scope, where, after, limit, now)
    rows = [sample_out(scope, r, now) for r in page.rows]
    return SampleRequestPage(sample_requests=rows, next=page.next_cursor)


@router.get("/{request_id}", responses=READ_ERRORS)
def get_sample_request(
    request_id: RequestIdPath, session: SessionDep, scope: ScopeDep
) -> SampleRequestOut:
    found = samples.get_sample_request(session, scope, request_id)
    return sample_out(scope, found, datetime.now(UTC))


@router.post("/{request_id}/decision", responses=_STEP_ERRORS)
def decide(
    request_id: RequestIdPath, body: DecisionIn, session: WriteSessionDep, scope: ScopeDep
) -> SampleRequestOut:
    """Approve or reject: the rep's store manager or regional manager, or an admin; never
    the rep (403). Only a requested sample is decided (409)."""
    now = datetime.now(UTC)
    approve = body.decision == "approve"
    return sample_out(
        scope, samples.decide(session, scope, request_id, approve, body.note, now), now
    )


@router.post("/{request_id}/hand-out", responses=_STEP_ERRORS)
def hand_out(
    request_id: RequestIdPath, body: HandOutIn, session: WriteSessionDep, scope: ScopeDep
) -> SampleRequestOut:
    """Approved samples handed out at the rep's visit to the request's customer (422 for
    any other visit); the follow-up falls due `follow_up_days` later, with a task for it."""
    now = datetime.now(UTC)
    return sample_out(scope, samples.hand_out(session, scope, request_id, body.visit_id, now), now)


@router.post("/{request_id}/follow-up", responses=_STEP_ERRORS)
def follow_up(
    request_id: RequestIdPath, body: FollowUpIn, session: WriteSessionDep, scope: ScopeDep
) -> SampleRequestOut:
    """The follow-up's outcome closes a handed-out request and its task."""
    now = datetime.now(UTC)
    row = follow_ups.follow_up(session, scope, request_id, body.outcome, body.note, now)
    return sample_out(scope, row, now)
