"""Reading deals within the caller's scope: a page of them in id order (uuid7: oldest
first; keyset `after` = the last id of the previous page), filtered by stage, owner or the
stale flag, and one deal with its stage history."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.funnel.deal_scope import deal_in_scope
from hub.crm.funnel.stale import is_stale, stale_since
from hub.db.models import Deal, DealStageChange, PipelineStage
from hub.errors import NotFound

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@dataclass(frozen=True)
class StageChange:
    from_stage: str | None
    to_stage: str
    at: datetime
    by: str


@dataclass(frozen=True)
class ShownDeal:
    id: str
    pipeline_id: str
    customer_id: str
    stage: str
    status: str
    owner_staff_id: str | None
    title: str
    amount: str | None  # yuan, two places
    amount_cents: int | None
    expected_close_on: date | None
    values: dict[str, Any]
    entered_stage_at: datetime
    stale: bool
    stale_at: datetime | None  # when it is or will be stale in this stage; None: never
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    history: list[StageChange] | None = None  # on one deal, not in lists


@dataclass(frozen=True)
class DealFilter:
    stage: str | None = None
    owner_staff_id: str | None = None
    stale: bool | None = None


@dataclass(frozen=True)
class DealPage:
    deals: list[ShownDeal]
    next_cursor: str | None


def _query(scope: Scope) -> Select[Deal, str, bool, datetime]:
    return (
        select(Deal, PipelineStage.key, is_stale(), stale_since())
        .join(PipelineStage, PipelineStage.id == Deal.stage_id)
        .where(deal_in_scope(scope))
    )


def list_deals(
    *, session: Session, scope: Scope, where: DealFilter, after: str | None, limit: int
) -> DealPage:
    shown_to(scope.role)
    stmt = _query(scope)
    if where.stage is not None:
        stmt = stmt.where(PipelineStage.key == where.stage)
    if where.owner_staff_id is not None:
        stmt = stmt.where(Deal.owner_staff_id == where.owner_staff_id)
    if where.stale is not None:
        stmt = stmt.where(is_stale() if where.stale else ~is_stale())
    if after is not None:
        stmt = stmt.where(Deal.id > after)
    rows = list(session.execute(stmt.order_by(Deal.id).limit(limit + 1)))
    shown = [_shown(r) for r in rows[:limit]]
    return DealPage(shown, shown[-1].id if len(rows) > limit else None)


def get_deal(*, session: Session, scope: Scope, deal_id: str) -> ShownDeal:
    shown_to(scope.role)
    row = session.execute(_query(scope).where(Deal.id == deal_id)).first()
    if row is None:
        raise NotFound(f"deal {deal_id}")
    return _shown(row, history(session, deal_id))


def history(session: Session, deal_id: str) -> list[StageChange]:
    stages = session.execute(
        select(PipelineStage.id, PipelineStage.key)
        .join(Deal, Deal.pipeline_id == PipelineStage.pipeline_id)
        .where(Deal.id == deal_id)
    )
    keys = {stage_id: key for stage_id, key in stages}
    changes = session.scalars(
        select(DealStageChange)
        .where(DealStageChange.deal_id == deal_id)
        .order_by(DealStageChange.at, DealStageChange.id)
    )
    return [
        StageChange(keys.get(c.from_stage_id or ""), keys[c.to_stage_id], c.at, c.by)
        for c in changes
    ]


def _shown(
    row: Row[Deal, str, bool, datetime], changes: list[StageChange] | None = None
) -> ShownDeal:
    deal, stage, stale, stale_at = row
    cents = deal.amount_cents
    return ShownDeal(
        id=deal.id, pipeline_id=deal.pipeline_id, customer_id=deal.customer_id, stage=stage,
        status=deal.status, owner_staff_id=deal.owner_staff_id, title=deal.title,
        amount=None if cents is None else f"{cents // 100}.{cents % 100:02d}",
        amount_cents=cents, expected_close_on=deal.expected_close_on,
        values=dict(deal.custom or {}), entered_stage_at=deal.entered_stage_at,
        stale=bool(stale), stale_at=stale_at if deal.status == "open" else None,
        created_at=deal.created_at, updated_at=deal.updated_at, closed_at=deal.closed_at,
        history=changes,
    )  # fmt: skip
