"""The funnel: pipelines of ordered stages (what each stage requires, how long a deal may
sit in it), deals moving through them, and every stage change with its time."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime

# PipelineStage.kind and Deal.status: a deal is open until it enters a won or lost stage.
OPEN, WON, LOST = "open", "won", "lost"


class Pipeline(Base):
    __tablename__ = "pipelines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_pipelines_name"),
        # One default a tenant: what a deal without a pipeline goes into.
        Index(
            "uq_pipelines_default", "tenant_id", unique=True, postgresql_where=text("is_default")
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PipelineStage(Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "key", name="uq_pipeline_stages_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id"), index=True)
    key: Mapped[str] = mapped_column(String(48))  # what a transition names: "proposal"
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)  # won and lost share the last position
    kind: Mapped[str] = mapped_column(String(8))  # OPEN, WON, LOST
    # What a deal must have to enter: "amount", "owner_staff_id", "expected_close_on",
    # "deal.<custom field>", "customer.<custom field>".
    required: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    stale_after_hours: Mapped[int | None] = mapped_column(Integer, default=None)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_tenant_stage", "tenant_id", "stage_id"),
        Index("ix_deals_owner_open", "owner_staff_id", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # uuid7: time-ordered
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[str] = mapped_column(ForeignKey("pipeline_stages.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    title: Mapped[str] = mapped_column(String(200), default="")
    amount_cents: Mapped[int | None] = mapped_column(BigInteger, default=None)  # CNY fen
    expected_close_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(8), default=OPEN)  # OPEN, WON, LOST
    custom: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict, server_default="{}")
    entered_stage_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class DealStageChange(Base):
    """A deal's history: one row each time it entered a stage (its creation included)."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal", "deal_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    deal_id: Mapped[str] = mapped_column(ForeignKey("deals.id"))
    from_stage_id: Mapped[str | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[str] = mapped_column(ForeignKey("pipeline_stages.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(100))  # the caller's subject, as in the audit log
