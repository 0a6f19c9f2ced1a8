"""The committed event stream, read by many consumers: `projection_jobs` (a queue the CRM
projection deleted as it consumed it) becomes `stream_segments`, kept until every consumer
has read it, and `stream_cursors` holds each consumer's position. Jobs still queued become
segments that the CRM projection reads first; events it already projected are not in the
stream (a consumer added later reads the `events` table to backfill).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TX_ID = sa.text("pg_current_xact_id()::text::bigint")


def upgrade() -> None:
    op.create_table(
        "stream_segments",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("tx_id", sa.BigInteger, nullable=False, server_default=TX_ID),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("epoch", sa.Uuid, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_seq <= last_seq", name="seq_range"),
    )
    op.create_index("ix_stream_segments_position", "stream_segments", ["tx_id", "id"])
    op.execute(
        "INSERT INTO stream_segments (tenant_id, gateway_id, epoch, first_seq, last_seq, "
        "received_at) SELECT g.tenant_id, j.gateway_id, j.epoch, j.first_seq, j.last_seq, "
        "j.received_at FROM projection_jobs j JOIN gateways g ON g.id = j.gateway_id "
        "ORDER BY j.id"
    )
    op.create_table(
        "stream_cursors",
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("shard", sa.Integer, primary_key=True),
        sa.Column("shards", sa.Integer, nullable=False),
        sa.Column("tx_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("segment_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("shard >= 0 AND shard < shards", name="shard_range"),
    )
    op.drop_table("projection_jobs")


def downgrade() -> None:
    op.create_table(
        "projection_jobs",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("epoch", sa.Uuid, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    # What the CRM has not read yet goes back on its queue.
    op.execute(
        "INSERT INTO projection_jobs (gateway_id, epoch, first_seq, last_seq, received_at) "
        "SELECT s.gateway_id, s.epoch, s.first_seq, s.last_seq, s.received_at "
        "FROM stream_segments s WHERE NOT EXISTS (SELECT 1 FROM stream_cursors c "
        "WHERE c.consumer = 'crm' AND (c.tx_id, c.segment_id) >= (s.tx_id, s.id)) "
        "ORDER BY s.tx_id, s.id"
    )
    op.drop_table("stream_cursors")
    op.drop_table("stream_segments")
