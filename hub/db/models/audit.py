"""The audit log: a row per write or export, appended, never changed (migration 0009)."""

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime


class AuditEntry(Base):
    __tablename__ = "log"
    __table_args__ = (
        Index("ix_log_tenant_id_id", "tenant_id", "id"),
        Index("ix_log_entity", "tenant_id", "entity", "entity_id"),
        {"schema": "audit"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(200))  # Scope.subject: "staff:<id>", "key:<id>"
    actor_role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))  # create, update, delete, export, login…
    entity: Mapped[str] = mapped_column(String(64))  # staff, store, api_key, customers…
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
