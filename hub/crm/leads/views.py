"""Reading leads within the caller's scope: a page of them, newest first (keyset cursor
`captured_at.id` in microseconds), and one lead with its score's explanation. What each
role is shown of a lead follows the customer rules (hub/auth/masking.py)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hub.auth.masking import mask_name, shown_to
from hub.auth.scope import Scope
from hub.crm.leads.lead_scope import lead_in_scope
from hub.crm.tags import is_health_tag
from hub.db.models import Lead
from hub.errors import NotFound, RejectedError

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@dataclass(frozen=True)
class ShownLead:
    id: str
    source: str
    source_id: str
    customer_id: str | None
    store_id: str | None
    owner_staff_id: str | None
    name: str
    note: str | None  # None: the role is not shown free text (it may say something of health)
    tags: list[str]
    score: int
    score_parts: list[dict[str, object]]
    scored_at: datetime
    captured_at: datetime


@dataclass(frozen=True)
class LeadPage:
    leads: list[ShownLead]
    next_cursor: str | None


def get_lead(session: Session, scope: Scope, lead_id: str) -> ShownLead:
    shown_to(scope.role)  # a role shown no customer data is refused before the read
    lead = session.scalar(select(Lead).where(lead_in_scope(scope), Lead.id == lead_id))
    if lead is None:
        raise NotFound(f"lead {lead_id}")
    return show(scope, lead)


def list_leads(session: Session, scope: Scope, limit: int, before: str | None) -> LeadPage:
    shown_to(scope.role)
    stmt = select(Lead).where(lead_in_scope(scope))
    if before is not None:
        at, lead_id = _cursor(before)
        older = or_(Lead.captured_at < at, and_(Lead.captured_at == at, Lead.id < lead_id))
        stmt = stmt.where(older)
    rows = list(
        session.scalars(stmt.order_by(Lead.captured_at.desc(), Lead.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    cursor = f"{int(last.captured_at.timestamp() * 1_000_000)}.{last.id}" if last else None
    return LeadPage([show(scope, r) for r in rows], cursor)


def show(scope: Scope, lead: Lead) -> ShownLead:
    shown = shown_to(scope.role)
    tags = [str(t) for t in lead.tags if shown.health_tags or not is_health_tag(str(t))]
    return ShownLead(
        id=lead.id,
        source=lead.source,
        source_id=lead.source_id,
        customer_id=lead.customer_id,
        store_id=lead.store_id,
        owner_staff_id=lead.owner_staff_id,
        name=lead.name if shown.name == "full" else mask_name(lead.name),
        note=lead.note if shown.health_tags else None,
        tags=tags,
        score=lead.score,
        score_parts=[dict(p) for p in lead.score_parts],
        scored_at=lead.scored_at,
        captured_at=lead.captured_at,
    )


def _cursor(before: str) -> tuple[datetime, str]:
    micros, sep, lead_id = before.partition(".")
    if not sep or not micros.isdigit() or not lead_id:
        raise RejectedError("before", "not a cursor this list gave")
    return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), lead_id
