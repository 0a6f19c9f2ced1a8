"""Calls and notes about a customer: who, when, what was said. A call says its direction
and length. Their text may say something of health, so it is shown only to the roles
shown health data (hub/auth/masking.py); the audit entry leaves the text out."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities.scoping import acting_staff, reached_customer, writer
from hub.db.models import Activity

Kind = Literal["call", "note"]


@dataclass(frozen=True)
class NewActivity:
    kind: Kind
    customer_id: str
    at: datetime
    body: str = ""
    direction: Literal["inbound", "outbound"] | None = None  # calls only
    duration_s: int | None = None  # calls only
    staff_id: str | None = None  # default: the caller


def log_activity(session: Session, scope: Scope, new: NewActivity, now: datetime) -> Activity:
    writer(scope)
    customer = reached_customer(session, scope, new.customer_id)
    call = new.kind == "call"
    row = Activity(
        id=f"act-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        staff_id=acting_staff(session, scope, new.staff_id, "staff_id"),
        kind=new.kind,
        at=new.at,
        direction=new.direction if call else None,
        duration_s=new.duration_s if call else None,
        body=new.body,
        created_at=now,
    )
    session.add(row)
    session.flush()
    after = audit.row_values(row, leave_out=("body",))
    audit.record(session, scope, "create", new.kind, row.id, after=after, now=now)
    return row
