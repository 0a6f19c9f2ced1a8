"""Projection jobs: the CRM projection runs beside ingest, not inside the batch transaction.

A batch's transaction stores the raw events and one job row per contiguous seq range; the
projector's transaction applies the CRM to those events and deletes the job. Events
committed before this revision were projected inline, so no jobs are back-filled.

Revision ID: 0004
Revises: 0003
Create Date: 2025-02-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.db.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projection_jobs",
        sa.Column(
            "id",
            sa.BigInteger(),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("epoch", sa.Uuid, nullable=False),
        sa.Column("first_seq", sa.BigInteger, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("projection_jobs")
