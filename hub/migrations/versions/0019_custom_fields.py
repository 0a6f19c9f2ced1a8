"""Custom fields per tenant: definitions, and customers' values in a jsonb column (GIN
indexed for containment filters). New fields are rows, never migrations.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("name", sa.String(48), nullable=False),
        sa.Column("label_zh_cn", sa.String(100), nullable=False),
        sa.Column("label_en", sa.String(100), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("choices", postgresql.JSONB(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tenant_id", "entity", "name", name="uq_custom_field"),
    )
    op.add_column(
        "customers",
        sa.Column("custom", postgresql.JSONB(), nullable=False, server_default="{}"),
    )
    op.create_index(
        "ix_customers_custom",
        "customers",
        ["custom"],
        postgresql_using="gin",
        postgresql_ops={"custom": "jsonb_path_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_customers_custom", "customers")
    op.drop_column("customers", "custom")
    op.drop_table("custom_fields")
