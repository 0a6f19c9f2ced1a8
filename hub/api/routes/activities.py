"""Calls and notes about a customer (docs/crm/activities.md)."""

from datetime import UTC, datetime

from fastapi import APIRouter, status

from hub.api.activity_schemas import ActivityIn, ActivityOut
from hub.api.deps import ScopeDep, WriteSessionDep
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import Problem
from hub.auth.masking import shown_to
from hub.crm.activities.calls_notes import NewActivity, log_activity

router = APIRouter(prefix="/activities", tags=["activities"], responses={503: {"model": Problem}})


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def add_activity(body: ActivityIn, session: WriteSessionDep, scope: ScopeDep) -> ActivityOut:
    """A call (with its direction and length) or a note, on the customer's timeline."""
    new = NewActivity(
        kind=body.kind,
        customer_id=body.customer_id,
        at=body.at,
        body=body.body,
        direction=body.direction,
        duration_s=body.duration_s,
        staff_id=body.staff_id,
    )
    row = log_activity(session, scope, new, datetime.now(UTC))
    shown = shown_to(scope.role)
    return ActivityOut(
        id=row.id,
        kind=row.kind,
        customer_id=row.customer_id,
        staff_id=row.staff_id,
        at=row.at,
        direction=row.direction,
        duration_s=row.duration_s,
        body=row.body if shown.health_tags else None,
    )
