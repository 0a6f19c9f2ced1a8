"""The organisation: store addresses, coordinates and opening hours; region offices; staff.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _place_columns(table: str) -> None:
    op.add_column(table, sa.Column("address", sa.String(500), nullable=False, server_default=""))
    op.add_column(table, sa.Column("latitude", sa.Float, nullable=True))
    op.add_column(table, sa.Column("longitude", sa.Float, nullable=True))
    op.create_check_constraint(
        "coordinates",
        table,
        "(latitude IS NULL) = (longitude IS NULL)"
        " AND (latitude IS NULL OR latitude BETWEEN -90 AND 90)"
        " AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
    )


def upgrade() -> None:
    _place_columns("regions")
    _place_columns("stores")
    op.add_column(
        "stores",
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="Asia/Shanghai"),
    )
    op.add_column(
        "stores",
        sa.Column(
            "opening_hours",
            postgresql.JSONB,
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.add_column(
        "stores", sa.Column("status", sa.String(16), nullable=False, server_default="open")
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("code", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("home_store_id", sa.String(64), sa.ForeignKey("stores.id"), nullable=True),
        sa.Column("region_id", sa.String(64), sa.ForeignKey("regions.id"), nullable=True),
        sa.Column(
            "skills",
            postgresql.ARRAY(sa.String(64)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
        sa.Column("on_shift", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("tenant_id", "code", name="uq_staff_code"),
        sa.CheckConstraint(
            "role IN ('admin', 'regional_manager', 'store_manager', 'staff', 'field_engineer')",
            name="role",
        ),
        sa.CheckConstraint("status IN ('active', 'left')", name="status"),
    )
    op.create_index("ix_staff_tenant_id", "staff", ["tenant_id"])
    op.create_index("ix_staff_home_store_id", "staff", ["home_store_id"])
    op.create_index("ix_staff_region_id", "staff", ["region_id"])


def downgrade() -> None:
    op.drop_table("staff")
    for column in ("status", "opening_hours", "time_zone"):
        op.drop_column("stores", column)
    for table in ("stores", "regions"):
        for column in ("longitude", "latitude", "address"):
            op.drop_column(table, column)
