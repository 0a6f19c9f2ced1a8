"""Whose activities a scope reaches: every activity hangs on a customer, and reaching the
customer (hub/crm/customer_scope.py) reaches their visits, calls, notes, tasks and tickets.
Out of scope is NotFound, as if it did not exist. Staff named on a record (an owner, an
assignee, a visitor) must be active staff the caller reaches (hub/crm/org/scoping.py)."""

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from hub.auth.masking import Shown, shown_to
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope
from hub.crm.org.scoping import staff_clause
from hub.db.models import STAFF_ACTIVE, Customer, Staff
from hub.errors import NotFound


def writer(scope: Scope) -> Shown:
    """What the caller is shown; Forbidden for roles that see no customer (field engineers)."""
    return shown_to(scope.role)


def reached_customer(session: Session, scope: Scope, customer_id: str) -> Customer:
    shown_to(scope.role)
    found = session.scalar(
        select(Customer).where(Customer.id == customer_id, customer_in_scope(scope))
    )
    if found is None:
        raise NotFound(f"customer {customer_id}")
    return found


def of_reached_customers(scope: Scope, customer_column: Any) -> ColumnElement[bool]:
    """WHERE clause: the row's customer is one `scope` reaches."""
    clause: ColumnElement[bool] = customer_column.in_(
        select(Customer.id).where(customer_in_scope(scope))
    )
    return clause


def reached_staff(session: Session, scope: Scope, staff_id: str, field: str) -> Staff:
    """Active staff the caller reaches, else NotFound (as if they did not exist)."""
    found = session.scalar(
        select(Staff).where(Staff.id == staff_id, staff_clause(scope), Staff.status == STAFF_ACTIVE)
    )
    if found is None:
        raise NotFound(f"{field}: no active staff {staff_id} in your scope")
    return found


def acting_staff(session: Session, scope: Scope, staff_id: str | None, field: str) -> str | None:
    """The staff named, checked; or the caller when none is named (None for a key)."""
    if staff_id is None:
        return scope.staff_id
    return reached_staff(session, scope, staff_id, field).id
