"""What clerks are told to offer: tenant-wide offers, each for customers with any of its
tags (or for everyone), within its dates. The cache carries the ones that apply."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import UtcDateTime


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_tenant_live", "tenant_id", "retired_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    text: Mapped[str] = mapped_column(String(200))  # as the clerk reads it
    tags: Mapped[list[Any]] = mapped_column(JSONB)  # customer tags it is for; [] = everyone
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
