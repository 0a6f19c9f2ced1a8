"""Scores stored leads: gathers each lead's inputs (its customer's touchpoints, identities
and status) in one statement per kind, and writes the score and its explanation. The
caller owns the transaction."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crm.leads.config import ScoreWeights
from hub.crm.leads.scoring import ScoreInputs, Touch, score
from hub.db.models import MEMBER, Customer, Identity, Lead, Touchpoint
from wire.identity import IdentifierKind

# Past this many half-lives a touch is worth under 0.1 % of its points: left unread.
HALF_LIVES_READ = 10


def rescore(session: Session, leads: Sequence[Lead], weights: ScoreWeights, now: datetime) -> None:
    customer_ids = sorted({lead.customer_id for lead in leads if lead.customer_id})
    touches = _touches(session, customer_ids, weights, now)
    phones = _with_phone(session, customer_ids)
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
    }
    for lead in leads:
        customer = customers.get(lead.customer_id or "")
        inputs = ScoreInputs(
            source=lead.source,
            has_phone=lead.customer_id in phones,
            has_name=bool(lead.name or (customer and customer.name)),
            member=customer is not None and customer.status == MEMBER,
            tags=[str(t) for t in lead.tags],
            touches=touches.get(lead.customer_id or "", []),
        )
        scored = score(inputs, weights, now)
        lead.score = scored.total
        lead.score_parts = [p.as_json() for p in scored.parts]
        lead.scored_at = now


def rescore_customers(
    session: Session, tenant_id: str, customer_ids: set[str], weights: ScoreWeights, now: datetime
) -> int:
    """Rescore every lead of these customers; how many leads that was."""
    if not customer_ids:
        return 0
    leads = list(
        session.scalars(
            select(Lead)
            .where(Lead.tenant_id == tenant_id, Lead.customer_id.in_(sorted(customer_ids)))
            .order_by(Lead.id)
            .with_for_update()
        )
    )
    rescore(session, leads, weights, now)
    return len(leads)


def rescore_leads(
    session: Session, lead_ids: set[str], weights: ScoreWeights, now: datetime
) -> None:
    """Score these leads (new ones a gateway captured; a rescore of their customer's may
    have done it already, which is harmless)."""
    if lead_ids:
        stmt = select(Lead).where(Lead.id.in_(sorted(lead_ids))).order_by(Lead.id)
        rescore(session, list(session.scalars(stmt.with_for_update())), weights, now)


def _touches(
    session: Session, customer_ids: list[str], weights: ScoreWeights, now: datetime
) -> dict[str, list[Touch]]:
    found: dict[str, list[Touch]] = defaultdict(list)
    if not customer_ids:
        return found
    since = now - timedelta(days=weights.half_life_days * HALF_LIVES_READ)
    rows = session.execute(
        select(Touchpoint.customer_id, Touchpoint.kind, Touchpoint.at).where(
            Touchpoint.customer_id.in_(customer_ids), Touchpoint.at >= since
        )
    )
    for customer_id, kind, at in rows:
        if customer_id is not None:
            found[customer_id].append(Touch(kind, at))
    return found


def _with_phone(session: Session, customer_ids: list[str]) -> set[str]:
    if not customer_ids:
        return set()
    stmt = select(Identity.customer_id).where(
        Identity.customer_id.in_(customer_ids),
        Identity.kind == IdentifierKind.PHONE_HASH.value,
    )
    return set(session.scalars(stmt))
