"""Households: family members as one unit; purchases (and 家属代购 ticks) say who for.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_households_tenant_id", "households", ["tenant_id"])
    op.create_table(
        "household_members",
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("household_id", sa.String(64), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_household_members_household", "household_members", ["household_id"])
    op.add_column(
        "purchases",
        sa.Column("for_customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=True),
    )
    # As the gateway named it: not a key, a tick must not be lost to a stale id.
    op.add_column("touchpoints", sa.Column("for_customer_id", sa.String(64), nullable=True))
    op.create_index(
        "ix_touchpoints_family",
        "touchpoints",
        ["customer_id", "at"],
        postgresql_where=sa.text("for_customer_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_touchpoints_family", table_name="touchpoints")
    op.drop_column("touchpoints", "for_customer_id")
    op.drop_column("purchases", "for_customer_id")
    op.drop_table("household_members")
    op.drop_table("households")
