"""The funnel: pipelines and their stages, deals, and each deal's stage history.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)
_ID = sa.String(64)


def _tenant() -> sa.Column[str]:
    return sa.Column("tenant_id", _ID, sa.ForeignKey("tenants.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", _ID, primary_key=True),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_pipelines_name"),
    )
    op.create_index(
        "uq_pipelines_default",
        "pipelines",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("id", _ID, primary_key=True),
        _tenant(),
        sa.Column("pipeline_id", _ID, sa.ForeignKey("pipelines.id"), nullable=False),
        sa.Column("key", sa.String(48), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("required", postgresql.JSONB(), nullable=False),
        sa.Column("stale_after_hours", sa.Integer(), nullable=True),
        sa.UniqueConstraint("pipeline_id", "key", name="uq_pipeline_stages_key"),
    )
    op.create_index("ix_pipeline_stages_pipeline_id", "pipeline_stages", ["pipeline_id"])
    op.create_table(
        "deals",
        sa.Column("id", _ID, primary_key=True),
        _tenant(),
        sa.Column("pipeline_id", _ID, sa.ForeignKey("pipelines.id"), nullable=False),
        sa.Column("stage_id", _ID, sa.ForeignKey("pipeline_stages.id"), nullable=False),
        sa.Column("customer_id", _ID, sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("owner_staff_id", _ID, sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("expected_close_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("custom", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("entered_stage_at", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("closed_at", _AT, nullable=True),
    )
    op.create_index("ix_deals_tenant_stage", "deals", ["tenant_id", "stage_id"])
    op.create_index("ix_deals_customer_id", "deals", ["customer_id"])
    op.create_index(
        "ix_deals_owner_open",
        "deals",
        ["owner_staff_id"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "deal_stage_changes",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        _tenant(),
        sa.Column("deal_id", _ID, sa.ForeignKey("deals.id"), nullable=False),
        sa.Column("from_stage_id", _ID, sa.ForeignKey("pipeline_stages.id"), nullable=True),
        sa.Column("to_stage_id", _ID, sa.ForeignKey("pipeline_stages.id"), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
    )
    op.create_index("ix_deal_stage_changes_deal", "deal_stage_changes", ["deal_id", "at"])


def downgrade() -> None:
    op.drop_table("deal_stage_changes")
    op.drop_table("deals")
    op.drop_table("pipeline_stages")
    op.drop_table("pipelines")
