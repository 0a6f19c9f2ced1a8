"""Demo deals, so the funnel has content: a few Shanghai customers' deals at each step of
the default pipeline, one of them stale (three weeks in negotiation, which allows two),
with the stage history that got them there. Running it twice changes nothing."""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy.orm import Session

from hub.crm.funnel.pipelines import ensure_default
from hub.db.models import LOST, WON, Deal, DealStageChange

SUBJECT = "demo:seed"


class DemoDeal(NamedTuple):
    id: str
    customer: str
    owner: str
    title: str
    path: tuple[str, ...]  # the stages it went through, the last where it is
    days_per_stage: int
    amount_cents: int | None = None


DEALS = (
    DemoDeal("deal-demo-01", "cus-demo-01", "stf-demo-xuhui-1", "家用血压计套装", ("lead",), 1),
    DemoDeal("deal-demo-02", "cus-demo-02", "stf-demo-xuhui-1", "糖尿病慢病管理年卡",
             ("lead", "qualified", "needs_diagnosed", "proposal"), 2, 128000),
    DemoDeal("deal-demo-03", "cus-demo-11", "stf-demo-jingan-1", "母婴营养品季度订购",
             ("lead", "qualified", "needs_diagnosed", "proposal", "negotiation"), 21, 360000),
    DemoDeal("deal-demo-04", "cus-demo-05", "stf-demo-xuhui-1", "家庭药箱配置",
             ("lead", "qualified", "needs_diagnosed", "proposal", "won"), 3, 56000),
    DemoDeal("deal-demo-05", "cus-demo-12", "stf-demo-jingan-1", "中药调理疗程",
             ("lead", "qualified", "lost"), 4),
)  # fmt: skip


def seed_deals(session: Session, tenant_id: str, now: datetime) -> None:
    pipeline, _created = ensure_default(session, tenant_id)
    for d in DEALS:
        if session.get(Deal, d.id) is not None:
            continue
        stages = [pipeline.stage(key) for key in d.path]
        steps = [
            now - timedelta(days=d.days_per_stage * (len(d.path) - n)) for n in range(len(d.path))
        ]
        last = stages[-1]
        assert all(stages) and last is not None
        session.add(
            Deal(
                id=d.id, tenant_id=tenant_id, pipeline_id=pipeline.pipeline.id, stage_id=last.id,
                customer_id=d.customer, owner_staff_id=d.owner, title=d.title,
                amount_cents=d.amount_cents,
                expected_close_on=date.today() + timedelta(days=30) if d.amount_cents else None,
                status=last.kind, custom={}, entered_stage_at=steps[-1], created_at=steps[0],
                updated_at=steps[-1], closed_at=steps[-1] if last.kind in (WON, LOST) else None,
            )
        )  # fmt: skip
        session.flush()
        previous = None
        for stage, at in zip(stages, steps, strict=True):
            assert stage is not None
            session.add(
                DealStageChange(
                    tenant_id=tenant_id, deal_id=d.id, from_stage_id=previous,
                    to_stage_id=stage.id, at=at, by=SUBJECT,
                )
            )  # fmt: skip
            previous = stage.id
    session.flush()
