"""Leads from every channel, once per the channel's own id, with their score.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("store_id", sa.String(64), sa.ForeignKey("stores.id"), nullable=True),
        sa.Column("owner_staff_id", sa.String(64), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("tags", postgresql.JSONB(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_parts", postgresql.JSONB(), nullable=False),
        sa.Column("scored_at", _AT, nullable=False),
        sa.Column("captured_at", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.UniqueConstraint("tenant_id", "source", "source_id", name="uq_leads_source_id"),
    )
    op.create_index("ix_leads_tenant_captured", "leads", ["tenant_id", "captured_at", "id"])
    op.create_index("ix_leads_customer_id", "leads", ["customer_id"])
    op.create_index("ix_leads_store_id", "leads", ["store_id"])
    op.create_index("ix_leads_owner_staff_id", "leads", ["owner_staff_id"])


def downgrade() -> None:
    op.drop_table("leads")
