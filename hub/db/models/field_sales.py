"""Field sales (docs/crm/field-sales.md): sample requests a rep's manager approves before
the sample is handed out at a visit, with its follow-up; and orders from intent to
confirmed, tied to a deal and a visit, with the competitor feedback as fields."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime

SAMPLE_STATES = ("requested", "approved", "rejected", "handed_out", "closed")
SAMPLE_OPEN = ("requested", "approved", "handed_out")
ORDER_STATES = ("intent", "confirmed", "cancelled")
COMPETITOR_REASONS = ("price", "efficacy", "relationship", "availability", "other")


class SampleRequest(Base):
    """A rep asks for samples (sku, name, qty) for a customer; the rep's manager decides;
    the rep hands them out at a visit; the follow-up is due `follow_up_days` later."""

    __tablename__ = "sample_requests"
    __table_args__ = (
        Index("ix_sample_requests_customer", "customer_id", "requested_at", "id"),
        Index("ix_sample_requests_follow_up", "tenant_id", "status", "follow_up_due_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    rep_staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    items: Mapped[list[Any]] = mapped_column(JsonDoc)  # [{"sku", "name", "qty"}]
    reason: Mapped[str] = mapped_column(String(2000), default="")
    follow_up_days: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)  # audit subject
    decision_note: Mapped[str] = mapped_column(String(2000), default="")
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), default=None)
    handed_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    follow_up_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    follow_up_task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id"), default=None)
    follow_up_outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    follow_up_note: Mapped[str] = mapped_column(String(2000), default="")
    followed_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class SalesOrder(Base):
    """An order a rep takes: intent, then confirmed or cancelled. Amounts in fen."""

    __tablename__ = "sales_orders"
    __table_args__ = (Index("ix_sales_orders_customer", "customer_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    rep_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    deal_id: Mapped[str | None] = mapped_column(ForeignKey("deals.id"), default=None)
    visit_id: Mapped[str | None] = mapped_column(ForeignKey("visits.id"), default=None)
    status: Mapped[str] = mapped_column(String(16))
    lines: Mapped[list[Any]] = mapped_column(JsonDoc)  # [{"sku", "name", "qty", "unit_price"}]
    total_fen: Mapped[int] = mapped_column(BigInteger)
    competitor_name: Mapped[str] = mapped_column(String(200), default="")
    competitor_product: Mapped[str] = mapped_column(String(200), default="")
    competitor_unit_price_fen: Mapped[int | None] = mapped_column(BigInteger, default=None)
    competitor_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    competitor_note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
