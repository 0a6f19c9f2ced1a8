"""What an export holds: the caller's customers or leads (their scope, in SQL), as much of
each as their role is shown (hub/crm/customer_shown.py, hub/crm/leads/views.py).

Custom values go only to roles shown health data (store managers and staff): a field
carries no flag saying whether it is medical (the pharmacy template's 慢性病 is), so the
roles that are not shown health tags are not shown custom values either."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, raiseload

from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm import customer_shown
from hub.crm.custom_fields.definitions import live_fields
from hub.crm.customer_scope import customer_in_scope
from hub.crm.exports.formats import Cell
from hub.crm.leads.lead_scope import lead_in_scope
from hub.crm.leads.views import show
from hub.db.models import Customer, Lead

CUSTOMER_COLUMNS = ("id", "name", "phone", "status", "store", "owner_staff_id", "tags",
                    "created_at", "updated_at")  # fmt: skip
LEAD_COLUMNS = ("id", "source", "source_id", "customer_id", "store", "owner_staff_id", "name",
                "note", "tags", "score", "captured_at")  # fmt: skip
YIELD_PER = 1000


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    count: int
    rows: Iterator[list[Cell]]


def customers(session: Session, scope: Scope) -> Table:
    shown = shown_to(scope.role)
    fields = live_fields(session, scope.tenant_id, "customer") if shown.health_tags else []
    where = customer_in_scope(scope)
    count = session.scalar(select(func.count()).select_from(Customer).where(where)) or 0
    stmt = (
        select(Customer).where(where).options(raiseload("*")).order_by(Customer.id)
        .execution_options(yield_per=YIELD_PER)
    )  # fmt: skip

    def rows() -> Iterator[list[Cell]]:
        for c in session.scalars(stmt):
            p = customer_shown.profile(c, shown)
            yield [p.id, p.name, p.phone, p.status, p.home_store_id, p.owner_staff_id,
                   ", ".join(p.tags), p.created_at.isoformat(), p.updated_at.isoformat(),
                   *(_custom(c.custom.get(f.name)) for f in fields)]  # fmt: skip

    return Table([*CUSTOMER_COLUMNS, *(f.name for f in fields)], count, rows())


def leads(session: Session, scope: Scope) -> Table:
    shown_to(scope.role)
    where = lead_in_scope(scope)
    count = session.scalar(select(func.count()).select_from(Lead).where(where)) or 0
    stmt = (
        select(Lead).where(where).order_by(Lead.captured_at, Lead.id)
        .execution_options(yield_per=YIELD_PER)
    )  # fmt: skip

    def rows() -> Iterator[list[Cell]]:
        for lead in session.scalars(stmt):
            s = show(scope, lead)
            yield [
                s.id,
                s.source,
                s.source_id,
                s.customer_id,
                s.store_id,
                s.owner_staff_id,
                s.name,
                s.note,
                ", ".join(s.tags),
                s.score,
                s.captured_at.isoformat(),
            ]

    return Table(LEAD_COLUMNS, count, rows())


def _custom(value: Any) -> Cell:
    """A multi-choice value as the import reads it back: 'a, b'."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
