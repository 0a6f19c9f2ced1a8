"""Moving a deal to another stage of its pipeline: what the stage requires is checked on
every move (a 422 naming each field the deal lacks), a closed deal stays closed and a move
to the stage it is in is no move (both 409), and every move is a row of the deal's history
and an audit entry. Any open stage may go to any other stage: forward, back or skipping
ahead (requirements.py: a skip still needs what it skips)."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.funnel.pipelines import PipelineWithStages, get_pipeline
from hub.crm.funnel.requirements import DealFacts, missing
from hub.crm.org.errors import Inconsistent
from hub.db.models import OPEN, Customer, Deal, DealStageChange, PipelineStage
from hub.errors import Unprocessable


def require_open(deal: Deal) -> None:
    if deal.status != OPEN:
        raise Inconsistent(f"deal {deal.id} is {deal.status}: closed deals do not change")


def move(*, session: Session, scope: Scope, deal: Deal, to_stage: str) -> Deal:
    """`deal`: locked and in the caller's scope (deals.reached)."""
    require_open(deal)
    pipeline = get_pipeline(session=session, scope=scope, pipeline_id=deal.pipeline_id)
    target = pipeline.stage(to_stage)
    if target is None:
        keys = [s.key for s in pipeline.stages]
        raise Unprocessable((["body", "to_stage"], f"{to_stage!r}: not a stage of {keys}"))
    if target.id == deal.stage_id:
        raise Inconsistent(f"deal {deal.id} is in {to_stage} already")
    customer = session.scalar(select(Customer).where(Customer.id == deal.customer_id))
    assert customer is not None  # a foreign key
    before = pipeline.by_id(deal.stage_id)
    now = datetime.now(UTC)
    enter(session, scope, deal, customer, pipeline, target, now, before.id)
    audit.record(
        session,
        scope,
        "transition",
        "deal",
        deal.id,
        before={"stage": before.key},
        after={"stage": target.key, "status": deal.status},
        now=now,
    )
    return deal


def enter(
    session: Session,
    scope: Scope,
    deal: Deal,
    customer: Customer,
    pipeline: PipelineWithStages,
    target: PipelineStage,
    now: datetime,
    from_stage: str | None,
) -> None:
    """Put `deal` in `target` if it has what the stage requires, and write the history."""
    facts = DealFacts(
        amount_cents=deal.amount_cents,
        owner_staff_id=deal.owner_staff_id,
        expected_close_on=deal.expected_close_on,
        title=deal.title or "",
        custom=deal.custom or {},
        customer_custom=customer.custom or {},
    )
    lacking = missing(target, pipeline.stages, facts)
    if lacking:
        raise Unprocessable(*lacking)
    deal.stage_id, deal.status = target.id, target.kind
    deal.entered_stage_at = deal.updated_at = now
    deal.closed_at = None if target.kind == OPEN else now
    session.add(deal)  # a new deal's first stage; no-op for one already stored
    session.flush()
    session.add(
        DealStageChange(
            tenant_id=scope.tenant_id,
            deal_id=deal.id,
            from_stage_id=from_stage,
            to_stage_id=target.id,
            at=now,
            by=scope.subject,
        )
    )
    session.flush()
