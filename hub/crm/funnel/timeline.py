"""A customer's deal stage changes as timeline entries (time, kind, summary), for the
customer's timeline (activities, item 7) to merge with its own entries. Scoped as the
deals are: a caller sees the changes of the deals they see."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.funnel.deal_scope import deal_in_scope
from hub.db.models import Deal, DealStageChange, PipelineStage

KIND = "deal_stage"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "deal_stage"
    summary: str  # "商机 Fertiliser order: lead → proposal"
    deal_id: str


def deal_stage_entries(
    *, session: Session, scope: Scope, customer_id: str, limit: int = 200
) -> list[TimelineEntry]:
    """Newest first, at most `limit`; an opening reads "opened in lead"."""
    shown_to(scope.role)
    source, target = aliased(PipelineStage), aliased(PipelineStage)
    rows = session.execute(
        select(DealStageChange.at, Deal.id, Deal.title, source.key, target.key)
        .join(Deal, Deal.id == DealStageChange.deal_id)
        .join(target, target.id == DealStageChange.to_stage_id)
        .outerjoin(source, source.id == DealStageChange.from_stage_id)
        .where(deal_in_scope(scope), Deal.customer_id == customer_id)
        .order_by(DealStageChange.at.desc(), DealStageChange.id.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            at=at,
            kind=KIND,
            summary=f"商机 {title or deal_id}: "
            + (f"{was} → {now}" if was else f"opened in {now}"),
            deal_id=deal_id,
        )
        for at, deal_id, title, was, now in rows
    ]
