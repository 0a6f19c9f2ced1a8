"""A customer's timeline (docs/crm/activities.md): touchpoints and purchases from the
stores' gateways, visits, calls, notes, tasks and tickets, newest first, one page at a
time. `before` is the `next` of the previous page; any string of its pattern is a
position, so what the schema admits is what is accepted."""

from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.activity_schemas import TimelineEntryOut, TimelineOut
from hub.api.deps import CustomerIdPath, CustomersReadDep, SessionDep
from hub.api.routes.org_params import READ_ERRORS
from hub.api.schemas import Problem
from hub.crm.activities.timeline import CURSOR_PATTERN, timeline

router = APIRouter(prefix="/customers", tags=["activities"], responses={503: {"model": Problem}})
Before = Annotated[
    str | None,
    Query(
        max_length=120,
        pattern=CURSOR_PATTERN,
        description="the `next` of the previous page: only entries older than it",
    ),
]


@router.get("/{customer_id}/timeline", responses=READ_ERRORS)
def get_timeline(
    customer_id: CustomerIdPath,
    session: SessionDep,
    scope: CustomersReadDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Before = None,
) -> TimelineOut:
    """Everything with this customer, merged from every registered source, newest first;
    touchpoints and purchases as far as the caller's store scope reaches."""
    page = timeline(session, scope, customer_id, limit, before)
    entries = [TimelineEntryOut.model_validate(e, from_attributes=True) for e in page.entries]
    return TimelineOut(entries=entries, next=page.next_cursor)
