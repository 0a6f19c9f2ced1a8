"""Funnel API shapes: pipelines with their stages, deals with their history, a transition.
What comes in is the domain's own drafts (hub/crm/funnel/pipelines.py, deals.py)."""

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from hub.crm.funnel.pipelines import PipelineWithStages, StageKey
from hub.crm.funnel.views import ShownDeal


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class StageOut(_Out):
    id: str
    key: str
    name: str
    position: int
    kind: str  # open, won, lost
    required: list[str]  # what this stage itself requires
    stale_after_hours: int | None


class PipelineOut(_Out):
    id: str
    name: str
    is_default: bool
    stages: list[StageOut]

    @classmethod
    def of(cls, found: PipelineWithStages) -> "PipelineOut":
        p = found.pipeline
        stages = [
            StageOut(
                id=s.id,
                key=s.key,
                name=s.name,
                position=s.position,
                kind=s.kind,
                required=[str(r) for r in s.required],
                stale_after_hours=s.stale_after_hours,
            )
            for s in found.stages
        ]
        return cls(id=p.id, name=p.name, is_default=p.is_default, stages=stages)


class StageChangeOut(_Out):
    from_stage: str | None
    to_stage: str
    at: datetime
    by: str


class DealOut(_Out):
    id: str
    pipeline_id: str
    customer_id: str
    stage: str
    status: str
    owner_staff_id: str | None
    title: str
    amount: str | None = Field(description="yuan, two places")
    amount_cents: int | None
    expected_close_on: date | None
    values: dict[str, Any]
    entered_stage_at: datetime
    stale: bool
    stale_at: datetime | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    history: list[StageChangeOut] | None = None

    @classmethod
    def of(cls, shown: ShownDeal) -> "DealOut":
        return cls.model_validate(asdict(shown))


class DealPageOut(_Out):
    deals: list[DealOut]
    next: str | None = Field(description="pass as `after` for the next page; null: the last")


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_stage: Annotated[StageKey, Field(examples=["qualified"])]
