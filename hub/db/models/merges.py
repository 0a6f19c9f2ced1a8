"""Merges of two customer records, and exactly which rows each one moved (so an undo moves
those rows back, hub/crm/merge)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime


class Merge(Base):
    __tablename__ = "merges"
    __table_args__ = (Index("ix_merges_tenant_at", "tenant_id", "at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    survivor_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    merged_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    # The survivor's scalar fields the merge changed, as they were (restored on undo).
    survivor_before: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    moved: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)  # table -> row count
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    undone_by: Mapped[str | None] = mapped_column(String(200), default=None)


class MergeMove(Base):
    """One row of a registered table (hub/crm/merge/registry.py) that a merge moved from the
    merged customer to the survivor."""

    __tablename__ = "merge_moves"
    __table_args__ = (Index("ix_merge_moves_merge_table", "merge_id", "table_name"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    merge_id: Mapped[str] = mapped_column(ForeignKey("merges.id"))
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[str] = mapped_column(String(64))  # the row's primary key, as text
