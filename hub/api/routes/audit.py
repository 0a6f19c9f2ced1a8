"""The audit log, for admins: filtered and paged newest first."""

from typing import Annotated

from fastapi import APIRouter, Query

from hub.api.deps import Instant, ScopeDep, SessionDep
from hub.api.schemas import AuditEntryOut, AuditPage, Problem
from hub.auth import audit
from hub.crm.org.fields import PRINTABLE

router = APIRouter(
    prefix="/audit",
    tags=["audit"],
    responses={403: {"model": Problem}, 503: {"model": Problem}},
)

Text = Annotated[str | None, Query(min_length=1, max_length=200, pattern=PRINTABLE)]


@router.get("", response_model=AuditPage)
def list_audit(
    scope: ScopeDep,
    session: SessionDep,
    entity: Text = None,
    entity_id: Text = None,
    actor: Text = None,
    action: Text = None,
    since: Instant | None = None,
    until: Instant | None = None,
    before: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="a `next` value: only entries older than it"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 50,
) -> AuditPage:
    """Who did what and when, with the values before and after, and the request id."""
    query = audit.AuditQuery(entity, entity_id, actor, action, since, until, before, limit)
    rows = audit.entries(session, scope, query)
    items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return AuditPage(items=items, next=rows[-1].id if len(rows) == limit else None)
