"""A customer's owner: the member of staff who looks after them (row scope "their own
customers"; ownership moves when staff leave).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("owner_staff_id", sa.String(64), nullable=True))
    op.create_foreign_key(
        "fk_customers_owner_staff_id_staff", "customers", "staff", ["owner_staff_id"], ["id"]
    )
    op.create_index("ix_customers_owner_staff_id", "customers", ["owner_staff_id"])
    # A store's customers are found by home store and by the stores that served them.
    op.create_index("ix_touchpoints_customer_store", "touchpoints", ["customer_id", "store_id"])


def downgrade() -> None:
    op.drop_index("ix_touchpoints_customer_store", "touchpoints")
    op.drop_index("ix_customers_owner_staff_id", "customers")
    op.drop_constraint("fk_customers_owner_staff_id_staff", "customers", type_="foreignkey")
    op.drop_column("customers", "owner_staff_id")
