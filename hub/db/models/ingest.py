"""What ingest writes: idempotency keys, raw events, dead letters, cache versions. The
stream of committed events that consumers read is in stream.py."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime

OUTCOME_COMMITTED = "committed"
OUTCOME_DEAD = "dead_lettered"


class EventKey(Base):
    """The idempotency key (gateway, epoch, seq), unpartitioned so it can be unique on
    its own: a partitioned table's unique keys must include the partition column."""

    __tablename__ = "event_keys"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    epoch: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))  # the gateway's
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Of the content first stored under the key (hub/crm/seq_claims.py); None on keys
    # older than revision 0005, which are taken as redeliveries.
    digest: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class RawEvent(Base):
    """Every committed event as received. On PostgreSQL: monthly partitions on
    occurred_at (or a Timescale hypertable); the primary key includes occurred_at."""

    __tablename__ = "events"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    epoch: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    type: Mapped[str] = mapped_column(String(32))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    store_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JsonDoc)


class DeadLetter(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_key", "gateway_id", "epoch", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    gateway_id: Mapped[str] = mapped_column(String(64), index=True)  # from the topic
    # The gateway's tenant; None when the registry does not know the topic's gateway.
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # batch, event, conflict, status, projection
    epoch: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    seq: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reason: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(String(2000), default="")
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # sha256 of the payload as received, where a re-send must find its letter (conflicts,
    # events without a seq); see hub/crm/dead_letters.py
    digest: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class DeadLetterDay(Base):
    """What one gateway's dead letters took on one UTC day, and what the cap dropped."""

    __tablename__ = "dead_letter_days"

    gateway_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"))  # as dead_letters
    kept: Mapped[int] = mapped_column(Integer, default=0)
    kept_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    dropped: Mapped[int] = mapped_column(Integer, default=0)
    dropped_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class CacheVersion(Base):
    __tablename__ = "cache_versions"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))  # the store's
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CacheChange(Base):
    """A customer whose cache entry a write outside the event stream changed (the API, a
    merge, an import), at a store that caches them: the cache follower sends that store a
    delta and deletes the row. Written in the change's own transaction, so a committed
    change is never left unsent and a rolled-back one never sent."""

    __tablename__ = "cache_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    store_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64))  # no FK: it may be merged away
    at: Mapped[datetime] = mapped_column(UtcDateTime)
