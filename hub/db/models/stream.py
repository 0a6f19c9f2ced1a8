"""The committed event stream: one segment per run of consecutive seqs a batch stored, in
commit order, and each consumer's durable position in it (hub/projection/stream.py)."""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import UtcDateTime

# The writing transaction's id, as a bigint: xid8 is 64 bits with the wraparound epoch
# folded in, so it only ever grows. Segments are read in (tx_id, id) order.
CURRENT_TX_ID = text("pg_current_xact_id()::text::bigint")


class StreamSegment(Base):
    """Events `first_seq`..`last_seq` of one gateway epoch, committed together. Ingest
    writes it in the batch's transaction and never reads it; consumers never change it."""

    __tablename__ = "stream_segments"
    __table_args__ = (Index("ix_stream_segments_position", "tx_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    tx_id: Mapped[int] = mapped_column(BigInteger, server_default=CURRENT_TX_ID)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    gateway_id: Mapped[str] = mapped_column(String(64))
    epoch: Mapped[uuid.UUID] = mapped_column(Uuid)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StreamCursor(Base):
    """How far one shard of one consumer has read: the last segment it applied, in the
    transaction that applied it. A consumer's gateways are split over its shards by a hash
    of the gateway id, so each gateway's segments are read by one shard, in order."""

    __tablename__ = "stream_cursors"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    shard: Mapped[int] = mapped_column(Integer, primary_key=True)
    shards: Mapped[int] = mapped_column(Integer)
    tx_id: Mapped[int] = mapped_column(BigInteger, default=0)
    segment_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
