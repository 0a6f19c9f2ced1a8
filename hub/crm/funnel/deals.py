"""Opening and changing deals, in the caller's scope, audited. A deal is opened for a
customer the caller sees, in the first stage of its pipeline (the tenant's default unless
named); its amount is a decimal string of yuan (two places at most), kept in fen.
Moving a deal between stages is transitions.py; a closed deal is history and is not
changed."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.masking import shown_to
from hub.auth.scope import Role, Scope
from hub.crm.custom_fields.definitions import live_fields
from hub.crm.custom_fields.values import checked
from hub.crm.customer_scope import customer_in_scope
from hub.crm.funnel.deal_scope import deal_in_scope
from hub.crm.funnel.pipelines import PipelineWithStages, default_pipeline, get_pipeline
from hub.crm.funnel.transitions import enter, require_open
from hub.crm.org.fields import PRINTABLE, Name
from hub.crm.org.scoping import require, staff_clause
from hub.db.models import OPEN, STAFF_ACTIVE, Customer, Deal, Staff
from hub.errors import NotFound, Unprocessable

WRITERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.STAFF})
OWNING_ROLES = frozenset({Role.STAFF, Role.STORE_MANAGER, Role.REGIONAL_MANAGER})
RecordRef = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
Amount = Annotated[
    str,
    Field(
        pattern=r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$",
        description='yuan as a decimal string, at most two places: "12800.50"',
        examples=["12800.50"],
    ),
]


def _day_text(value: object) -> object:
    """A date is its ISO text, never a number (which pydantic would read as a timestamp)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_day_text), Field(description="YYYY-MM-DD")]
Values = Annotated[
    dict[str, Any],
    Field(description="deal custom field name -> value of its type; null removes a value"),
]


class DealDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: RecordRef = Field(examples=["cus-demo-01"])
    pipeline_id: RecordRef | None = Field(default=None, description="default: the tenant's")
    title: Name | None = None
    owner_staff_id: RecordRef | None = Field(
        default=None, description="default: the caller, when they look after customers"
    )
    amount: Amount | None = None
    expected_close_on: Day | None = None
    values: Values = Field(default_factory=dict)


class DealChanges(BaseModel):
    """Only the fields sent change; `null` clears one (amount, owner, expected close)."""

    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    owner_staff_id: RecordRef | None = None
    amount: Amount | None = None
    expected_close_on: Day | None = None
    values: Values = Field(default_factory=dict)


def to_cents(amount: str | None) -> int | None:
    return None if amount is None else int(Decimal(amount) * 100)


def open_deal(*, session: Session, scope: Scope, draft: DealDraft) -> Deal:
    _may_write(scope)
    customer = _customer(session, scope, draft.customer_id)
    pipeline = _pipeline(session, scope, draft.pipeline_id)
    owner = draft.owner_staff_id
    if owner is None and scope.role in OWNING_ROLES:
        owner = scope.staff_id
    _check_owner(session, scope, owner)
    now = datetime.now(UTC)
    deal = Deal(
        id=f"deal-{uuid7().hex}", tenant_id=scope.tenant_id, pipeline_id=pipeline.pipeline.id,
        stage_id=pipeline.stages[0].id, customer_id=customer.id, owner_staff_id=owner,
        title=draft.title or "", amount_cents=to_cents(draft.amount),
        expected_close_on=draft.expected_close_on, status=OPEN,
        custom=checked(live_fields(session, scope.tenant_id, "deal"), {}, draft.values),
        entered_stage_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    enter(session, scope, deal, customer, pipeline, pipeline.stages[0], now, None)
    audit.record(session, scope, "create", "deal", deal.id, after=audit.row_values(deal), now=now)
    return deal


def change_deal(*, session: Session, scope: Scope, deal_id: str, changes: DealChanges) -> Deal:
    _may_write(scope)
    deal = reached(session, scope, deal_id, lock=True)
    require_open(deal)
    sent = changes.model_fields_set
    if "owner_staff_id" in sent:
        _check_owner(session, scope, changes.owner_staff_id)
    before = audit.row_values(deal)
    if "title" in sent:
        deal.title = changes.title or ""
    if "owner_staff_id" in sent:
        deal.owner_staff_id = changes.owner_staff_id
    if "amount" in sent:
        deal.amount_cents = to_cents(changes.amount)
    if "expected_close_on" in sent:
        deal.expected_close_on = changes.expected_close_on
    if changes.values:
        fields = live_fields(session, scope.tenant_id, "deal")
        deal.custom = checked(fields, dict(deal.custom or {}), changes.values)
    after = audit.row_values(deal)
    if after != before:
        deal.updated_at = datetime.now(UTC)
        session.flush()
        was, now = audit.changed(before, after)
        audit.record(session, scope, "update", "deal", deal.id, before=was, after=now)
    return deal


def reached(session: Session, scope: Scope, deal_id: str, *, lock: bool = False) -> Deal:
    shown_to(scope.role)
    stmt = select(Deal).where(deal_in_scope(scope), Deal.id == deal_id)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"deal {deal_id}")
    return found


def _may_write(scope: Scope) -> None:
    shown_to(scope.role)
    require(scope.role in WRITERS, "your role does not change deals")


def _customer(session: Session, scope: Scope, customer_id: str) -> Customer:
    found = session.scalar(
        select(Customer).where(Customer.id == customer_id, customer_in_scope(scope))
    )
    if found is None:
        raise NotFound(f"customer {customer_id}")
    return found


def _pipeline(session: Session, scope: Scope, pipeline_id: str | None) -> PipelineWithStages:
    if pipeline_id is None:
        return default_pipeline(session, scope)
    try:
        return get_pipeline(session=session, scope=scope, pipeline_id=pipeline_id)
    except NotFound:
        raise Unprocessable((["body", "pipeline_id"], f"no pipeline {pipeline_id}")) from None


def _check_owner(session: Session, scope: Scope, owner: str | None) -> None:
    """An owner is active staff the caller reaches who looks after customers."""
    if owner is None:
        return
    staff = session.scalar(select(Staff).where(Staff.id == owner, staff_clause(scope)))
    if staff is None or staff.status != STAFF_ACTIVE or Role(staff.role) not in OWNING_ROLES:
        why = "not active staff in your scope who looks after customers"
        raise Unprocessable((["body", "owner_staff_id"], f"{owner}: {why}"))
