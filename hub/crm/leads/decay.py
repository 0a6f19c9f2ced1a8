"""Behaviour points halve every half-life, so a stored score grows stale with no event at
all. The sweep scores again the leads scored longest ago, a bounded number per call, and
skips leads a projection round holds (it is scoring them anyway)."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crm.leads.config import ScoreWeights
from hub.crm.leads.rescoring import rescore
from hub.db.models import Lead


def rescore_aged(
    session: Session, weights: ScoreWeights, now: datetime, older_than: timedelta, limit: int
) -> int:
    """Score again up to `limit` leads last scored before `now - older_than`, oldest first;
    how many. The caller commits."""
    stmt = (
        select(Lead)
        .where(Lead.scored_at < now - older_than)
        .order_by(Lead.scored_at, Lead.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    leads = list(session.scalars(stmt))
    rescore(session, leads, weights, now)
    return len(leads)
