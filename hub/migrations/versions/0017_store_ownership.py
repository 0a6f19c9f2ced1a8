"""Store ownership of customers: a store's area (a radius or a polygon), where a customer
lives, and the tenant's rule for which store a customer belongs to.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("stores", sa.Column("area", postgresql.JSONB(), nullable=True))
    op.add_column(
        "tenants",
        sa.Column("ownership_rule", sa.String(32), nullable=False, server_default="home_store"),
    )
    # Where the customer lives (the customer API sets it too): IF NOT EXISTS, as the
    # identity migration may have added them first.
    op.execute("ALTER TABLE customers ADD COLUMN IF NOT EXISTS latitude double precision")
    op.execute("ALTER TABLE customers ADD COLUMN IF NOT EXISTS longitude double precision")


def downgrade() -> None:
    op.drop_column("tenants", "ownership_rule")
    op.drop_column("stores", "area")
    op.execute("ALTER TABLE customers DROP COLUMN IF EXISTS latitude")
    op.execute("ALTER TABLE customers DROP COLUMN IF EXISTS longitude")
