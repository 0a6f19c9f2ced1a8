"""Service tickets (docs/crm/activities.md): intake, then assign, resolve, and the
customer's confirmation; a step from the wrong state is 409."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status

from hub.api.activity_schemas import TicketIn, TicketOut, TicketStep
from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.activities import tickets
from hub.crm.org.fields import PRINTABLE
from hub.db.models import Ticket

router = APIRouter(prefix="/tickets", tags=["activities"], responses={503: {"model": Problem}})
TicketIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
_STEPPED = {**WRITE_ERRORS, 409: {"model": Problem, "description": "not from this state"}}


def ticket_out(scope: Scope, t: Ticket) -> TicketOut:
    words = shown_to(scope.role).health_tags
    return TicketOut(
        id=t.id,
        customer_id=t.customer_id,
        store_id=t.store_id,
        title=t.title if words else None,
        description=t.description if words else None,
        state=t.state,
        opened_at=t.opened_at,
        opened_by=t.opened_by,
        assignee_staff_id=t.assignee_staff_id,
        assigned_at=t.assigned_at,
        assigned_by=t.assigned_by,
        resolved_at=t.resolved_at,
        resolved_by=t.resolved_by,
        resolution=t.resolution if words else None,
        confirmed_at=t.confirmed_at,
        confirmed_by=t.confirmed_by,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def open_ticket(body: TicketIn, session: WriteSessionDep, scope: ScopeDep) -> TicketOut:
    """Intake: a ticket for a customer in scope, at their home store unless named."""
    new = tickets.NewTicket(body.customer_id, body.title, body.description, body.store_id)
    return ticket_out(scope, tickets.open_ticket(session, scope, new, datetime.now(UTC)))


@router.get("/{ticket_id}", responses=READ_ERRORS)
def get_ticket(ticket_id: TicketIdPath, session: SessionDep, scope: ScopeDep) -> TicketOut:
    return ticket_out(scope, tickets.get_ticket(session, scope, ticket_id))


@router.post("/{ticket_id}/transitions", responses=_STEPPED)
def advance(
    ticket_id: TicketIdPath, body: TicketStep, session: WriteSessionDep, scope: ScopeDep
) -> TicketOut:
    """assign (intake or assigned), resolve (assigned), confirm (resolved: the customer
    accepts), reopen (resolved: they do not). Each stamps when and who."""
    step = tickets.Step(body.action, body.assignee_staff_id, body.resolution)
    return ticket_out(scope, tickets.advance(session, scope, ticket_id, step, datetime.now(UTC)))
