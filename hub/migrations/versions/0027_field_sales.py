"""Field sales (issue 14 item 13): sample requests (approved by the rep's manager, handed
out at a visit, followed up) and sales orders (intent → confirmed, competitor feedback).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def _ref(name: str, target: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), sa.ForeignKey(target), nullable=nullable)


def _text(name: str, length: int = 2000) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sample_requests",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("rep_staff_id", "staff.id", False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", JSONB(), nullable=False),
        _text("reason"),
        sa.Column("follow_up_days", sa.Integer(), nullable=False),
        sa.Column("requested_at", _AT, nullable=False),
        sa.Column("decided_at", _AT, nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=True),
        _text("decision_note"),
        _ref("visit_id", "visits.id"),
        sa.Column("handed_out_at", _AT, nullable=True),
        sa.Column("follow_up_due_at", _AT, nullable=True),
        _ref("follow_up_task_id", "tasks.id"),
        sa.Column("follow_up_outcome", sa.String(16), nullable=True),
        _text("follow_up_note"),
        sa.Column("followed_up_at", _AT, nullable=True),
    )
    op.create_index(
        "ix_sample_requests_customer", "sample_requests", ["customer_id", "requested_at", "id"]
    )
    op.create_index(
        "ix_sample_requests_follow_up",
        "sample_requests",
        ["tenant_id", "status", "follow_up_due_at"],
    )
    op.create_index("ix_sample_requests_rep_staff_id", "sample_requests", ["rep_staff_id"])
    op.create_table(
        "sales_orders",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("rep_staff_id", "staff.id"),
        _ref("deal_id", "deals.id"),
        _ref("visit_id", "visits.id"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lines", JSONB(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        _text("competitor_name", 200),
        _text("competitor_product", 200),
        sa.Column("competitor_unit_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("competitor_reason", sa.String(16), nullable=True),
        _text("competitor_note"),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("confirmed_at", _AT, nullable=True),
        sa.Column("cancelled_at", _AT, nullable=True),
    )
    op.create_index("ix_sales_orders_customer", "sales_orders", ["customer_id", "created_at", "id"])
    op.create_index("ix_sales_orders_rep_staff_id", "sales_orders", ["rep_staff_id"])


def downgrade() -> None:
    op.drop_table("sales_orders")
    op.drop_table("sample_requests")
