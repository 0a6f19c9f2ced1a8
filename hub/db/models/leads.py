"""Leads: a prospect from one channel (web form, phone call, WeCom, a gateway), held once
per the channel's own id, with its customer and its current score."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime


class Lead(Base):
    __tablename__ = "leads"
    # A channel that sends the same thing twice (a retried webhook, a redelivered WeCom
    # message) finds the lead it made the first time.
    __table_args__ = (
        UniqueConstraint("tenant_id", "source", "source_id", name="uq_leads_source_id"),
        Index("ix_leads_tenant_captured", "tenant_id", "captured_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    source: Mapped[str] = mapped_column(String(32))  # web_form, phone_call, wecom, gateway
    source_id: Mapped[str] = mapped_column(String(128))  # the channel's own id
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), index=True)
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"), index=True)
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(2000), default="")
    tags: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    score: Mapped[int] = mapped_column(Integer, default=0)  # 0..100
    score_parts: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)  # the explanation
    scored_at: Mapped[datetime] = mapped_column(UtcDateTime)
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when the channel saw it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
