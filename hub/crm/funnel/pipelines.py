"""Pipelines: ordered stages, what each requires, how long a deal may sit in each. Every
tenant has a default pipeline of six stages (lead, qualified, needs diagnosed, proposal,
negotiation, then won or lost: the sixth stage closes a deal one way or the other), made
the first time the tenant's funnel is used. Admins add more; a pipeline is not changed
once deals may sit in it (a new one is added instead)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.masking import shown_to
from hub.auth.scope import Role, Scope
from hub.crm.custom_fields.definitions import live_fields
from hub.crm.org.errors import Duplicate
from hub.crm.org.fields import Name
from hub.crm.org.scoping import require
from hub.db.models import LOST, OPEN, WON, Pipeline, PipelineStage
from hub.errors import NotFound, Unprocessable

BUILT_IN = ("amount", "owner_staff_id", "expected_close_on", "title")
Requirement = Annotated[
    str,
    Field(
        pattern=r"^(amount|owner_staff_id|expected_close_on|title|(deal|customer)\.[a-z][a-z0-9_]{0,47})$",
        examples=["amount", "customer.farm_size"],
    ),
]
StageKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$", examples=["proposal"])]
LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


class StageDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: StageKey
    name: Name
    kind: Literal["open", "won", "lost"] = "open"
    required: list[Requirement] = Field(default_factory=list, max_length=20)
    stale_after_hours: int | None = Field(default=None, ge=1, le=24 * 366)


class PipelineDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    stages: list[StageDraft] = Field(min_length=3, max_length=20)

    @model_validator(mode="after")
    def _shape(self) -> "PipelineDraft":
        keys = [s.key for s in self.stages]
        if len(set(keys)) != len(keys):
            raise ValueError("stage keys must be distinct")
        kinds: list[str] = [s.kind for s in self.stages]
        if kinds.count(WON) != 1 or kinds.count(LOST) != 1 or OPEN not in kinds:
            raise ValueError("one won stage, one lost stage and at least one open stage")
        if kinds[: kinds.count(OPEN)] != [OPEN] * kinds.count(OPEN):
            raise ValueError("the open stages come first, won and lost last")
        return self


def _stage(
    key: str, name: str, required: list[str], hours: int | None, kind: str = OPEN
) -> StageDraft:
    return StageDraft.model_validate(
        {"key": key, "name": name, "kind": kind, "required": required, "stale_after_hours": hours}
    )


DEFAULT = PipelineDraft(
    name="默认漏斗 Default",
    stages=[
        _stage("lead", "线索 Lead", [], 72),
        _stage("qualified", "已确认 Qualified", ["owner_staff_id"], 168),
        _stage("needs_diagnosed", "需求已诊断 Needs diagnosed", ["title"], 168),
        _stage("proposal", "方案 Proposal", ["amount", "expected_close_on"], 336),
        _stage("negotiation", "谈判 Negotiation", [], 336),
        _stage("won", "赢单 Won", [], None, WON),
        _stage("lost", "输单 Lost", [], None, LOST),
    ],
)


@dataclass(frozen=True)
class PipelineWithStages:
    pipeline: Pipeline
    stages: list[PipelineStage]  # in order; won before lost at the last position

    def stage(self, key: str) -> PipelineStage | None:
        return next((s for s in self.stages if s.key == key), None)

    def by_id(self, stage_id: str) -> PipelineStage:
        return next(s for s in self.stages if s.id == stage_id)


def default_pipeline(session: Session, scope: Scope) -> PipelineWithStages:
    """The tenant's default pipeline, made (and audited) the first time it is asked for."""
    found, created = ensure_default(session, scope.tenant_id)
    if created:
        after = {"is_default": True, **DEFAULT.model_dump()}
        audit.record(session, scope, "create", "pipeline", found.pipeline.id, after=after)
    return found


def ensure_default(session: Session, tenant_id: str) -> tuple[PipelineWithStages, bool]:
    """The tenant's default pipeline and whether it was made now (the demo seeds it so)."""
    session.execute(LOCK, {"name": f"{tenant_id}\x1fdefault-pipeline"})
    found = session.scalar(
        select(Pipeline).where(Pipeline.tenant_id == tenant_id, Pipeline.is_default)
    )
    if found is not None:
        return PipelineWithStages(found, _stages(session, found.id)), False
    return _add(session, tenant_id, DEFAULT, is_default=True), True


def create_pipeline(*, session: Session, scope: Scope, draft: PipelineDraft) -> PipelineWithStages:
    require(scope.role is Role.ADMIN, "only admins add pipelines")
    default_pipeline(session, scope)  # the tenant's first pipeline is always the default
    taken = select(Pipeline.id).where(
        Pipeline.tenant_id == scope.tenant_id, Pipeline.name == draft.name
    )
    if session.scalar(taken) is not None:
        raise Duplicate(f"pipeline {draft.name!r} exists")
    _check_custom(session, scope.tenant_id, draft)
    made = _add(session, scope.tenant_id, draft, is_default=False)
    after = {"is_default": False, **draft.model_dump()}
    audit.record(session, scope, "create", "pipeline", made.pipeline.id, after=after)
    return made


def list_pipelines(*, session: Session, scope: Scope) -> list[PipelineWithStages]:
    shown_to(scope.role)
    default_pipeline(session, scope)
    rows = session.scalars(
        select(Pipeline)
        .where(Pipeline.tenant_id == scope.tenant_id)
        .order_by(Pipeline.is_default.desc(), Pipeline.created_at, Pipeline.id)
    )
    return [PipelineWithStages(p, _stages(session, p.id)) for p in rows]


def get_pipeline(*, session: Session, scope: Scope, pipeline_id: str) -> PipelineWithStages:
    shown_to(scope.role)
    found = session.scalar(
        select(Pipeline).where(Pipeline.tenant_id == scope.tenant_id, Pipeline.id == pipeline_id)
    )
    if found is None:
        raise NotFound(f"pipeline {pipeline_id}")
    return PipelineWithStages(found, _stages(session, found.id))


def _stages(session: Session, pipeline_id: str) -> list[PipelineStage]:
    stmt = select(PipelineStage).where(PipelineStage.pipeline_id == pipeline_id)
    order = (PipelineStage.position, PipelineStage.kind.desc())  # won before lost
    return list(session.scalars(stmt.order_by(*order)))


def _check_custom(session: Session, tenant_id: str, draft: PipelineDraft) -> None:
    """A stage may require a custom field the tenant has (of the deal or its customer)."""
    have = {
        f"{entity}.{f.name}"
        for entity in ("deal", "customer")
        for f in live_fields(session, tenant_id, entity)
    }
    problems = [
        (["body", "stages", str(n), "required"], f"{need}: no such custom field")
        for n, s in enumerate(draft.stages)
        for need in s.required
        if need not in BUILT_IN and need not in have
    ]
    if problems:
        raise Unprocessable(*problems)


def _add(
    session: Session, tenant_id: str, draft: PipelineDraft, *, is_default: bool
) -> PipelineWithStages:
    now = datetime.now(UTC)
    pipeline = Pipeline(
        id=f"pl-{uuid7().hex}",
        tenant_id=tenant_id,
        name=draft.name,
        is_default=is_default,
        created_at=now,
    )
    session.add(pipeline)
    session.flush()
    last = sum(1 for s in draft.stages if s.kind == OPEN) + 1
    stages = [
        PipelineStage(
            id=f"ps-{uuid7().hex}",
            tenant_id=tenant_id,
            pipeline_id=pipeline.id,
            key=s.key,
            name=s.name,
            position=n + 1 if s.kind == OPEN else last,
            kind=s.kind,
            required=list(s.required),
            stale_after_hours=s.stale_after_hours,
        )
        for n, s in enumerate(draft.stages)
    ]
    session.add_all(stages)
    session.flush()
    return PipelineWithStages(pipeline, stages)
