"""Customers' birthdays and merges: which record a merged one was folded into, each merge,
and exactly which rows it moved (hub/crm/merge).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("customers", sa.Column("birthday", sa.Date(), nullable=True))
    op.add_column(
        "customers",
        sa.Column("merged_into", sa.String(64), sa.ForeignKey("customers.id"), nullable=True),
    )
    op.create_index("ix_customers_merged_into", "customers", ["merged_into"])
    op.create_table(
        "merges",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("survivor_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("merged_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("survivor_before", postgresql.JSONB(), nullable=False),
        sa.Column("moved", postgresql.JSONB(), nullable=False),
        sa.Column("undone_at", _AT, nullable=True),
        sa.Column("undone_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_merges_tenant_at", "merges", ["tenant_id", "at", "id"])
    op.create_index("ix_merges_survivor_id", "merges", ["survivor_id"])
    op.create_index("ix_merges_merged_id", "merges", ["merged_id"])
    op.create_table(
        "merge_moves",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("merge_id", sa.String(64), sa.ForeignKey("merges.id"), nullable=False),
        sa.Column("table_name", sa.String(64), nullable=False),
        sa.Column("row_key", sa.String(64), nullable=False),
    )
    op.create_index("ix_merge_moves_merge_table", "merge_moves", ["merge_id", "table_name"])


def downgrade() -> None:
    op.drop_table("merge_moves")
    op.drop_table("merges")
    op.drop_index("ix_customers_merged_into", "customers")
    op.drop_column("customers", "merged_into")
    op.drop_column("customers", "birthday")
