"""Service tickets: intake -> assigned -> resolved -> confirmed (the customer confirms the
resolution). The transitions are data (TRANSITIONS); each stamps when and who, and one
that does not start from an allowed state is refused (Inconsistent, 409). Reassigning an
assigned ticket is allowed; a resolution the customer does not accept is reopened back to
assigned. An intake or assigned ticket is open: it moves with its assignee's book when
they leave (hub/crm/transfer/owned.py)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities.scoping import (
    acting_staff,
    of_reached_customers,
    reached_customer,
    writer,
)
from hub.crm.org.errors import Inconsistent
from hub.db.models import Store, Ticket
from hub.errors import NotFound, Unprocessable

Action = Literal["assign", "resolve", "confirm", "reopen"]
# action -> (the states it may start from, the state it leaves)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({"intake", "assigned"}), "assigned"),
    "resolve": (frozenset({"assigned"}), "resolved"),
    "confirm": (frozenset({"resolved"}), "confirmed"),
    "reopen": (frozenset({"resolved"}), "assigned"),
}
OPEN_STATES = ("intake", "assigned")


@dataclass(frozen=True)
class NewTicket:
    customer_id: str
    title: str
    description: str = ""
    store_id: str | None = None


@dataclass(frozen=True)
class Step:
    action: Action
    assignee_staff_id: str | None = None  # assign: default the caller
    resolution: str = ""  # resolve: what was done


def open_ticket(session: Session, scope: Scope, new: NewTicket, now: datetime) -> Ticket:
    writer(scope)
    customer = reached_customer(session, scope, new.customer_id)
    store_id = new.store_id or customer.home_store_id
    if new.store_id is not None:
        store = session.get(Store, new.store_id)
        if store is None or store.tenant_id != scope.tenant_id:
            raise NotFound(f"store {new.store_id}")
    ticket = Ticket(
        id=f"tkt-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        store_id=store_id,
        title=new.title,
        description=new.description,
        state="intake",
        opened_at=now,
        opened_by=scope.subject,
        resolution="",
    )
    session.add(ticket)
    session.flush()
    after = audit.row_values(ticket, leave_out=("description",))
    audit.record(session, scope, "create", "ticket", ticket.id, after=after, now=now)
    return ticket


def get_ticket(session: Session, scope: Scope, ticket_id: str, lock: bool = False) -> Ticket:
    writer(scope)
    stmt = select(Ticket).where(
        Ticket.id == ticket_id,
        Ticket.tenant_id == scope.tenant_id,
        of_reached_customers(scope, Ticket.customer_id),
    )
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"ticket {ticket_id}")
    return found


def advance(session: Session, scope: Scope, ticket_id: str, step: Step, now: datetime) -> Ticket:
    ticket = get_ticket(session, scope, ticket_id, lock=True)
    sources, target = TRANSITIONS[step.action]
    if ticket.state not in sources:
        raise Inconsistent(f"cannot {step.action} a ticket that is {ticket.state}")
    before = audit.row_values(ticket, leave_out=("description",))
    if step.action == "assign":
        assignee = acting_staff(session, scope, step.assignee_staff_id, "assignee_staff_id")
        if assignee is None:
            raise Unprocessable((["body", "assignee_staff_id"], "name who takes the ticket"))
        ticket.assignee_staff_id, ticket.assigned_at, ticket.assigned_by = (
            assignee,
            now,
            scope.subject,
        )
    elif step.action == "resolve":
        ticket.resolved_at, ticket.resolved_by, ticket.resolution = (
            now,
            scope.subject,
            step.resolution,
        )
    elif step.action == "confirm":
        ticket.confirmed_at, ticket.confirmed_by = now, scope.subject
    else:  # reopen: the customer did not accept the resolution
        ticket.resolved_at, ticket.resolved_by = None, None
    ticket.state = target
    session.flush()
    old, new = audit.changed(before, audit.row_values(ticket, leave_out=("description",)))
    audit.record(session, scope, step.action, "ticket", ticket.id, before=old, after=new, now=now)
    return ticket
