"""Activities and service: visits with GPS check-ins in day plans, route points, calls and
notes, tasks with due dates, service tickets.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def _ref(name: str, target: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "visit_plans",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("staff_id", "staff.id", False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_visit_plans_staff_id", "visit_plans", ["staff_id"])
    op.create_table(
        "visits",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("staff_id", "staff.id", False),
        _ref("store_id", "stores.id"),
        _ref("plan_id", "visit_plans.id"),
        sa.Column("stop_no", sa.Integer(), nullable=True),
        sa.Column("planned_at", _AT, nullable=False),
        sa.Column("planned_lat", sa.Float(), nullable=True),
        sa.Column("planned_lon", sa.Float(), nullable=True),
        sa.Column("checked_in_at", _AT, nullable=True),
        sa.Column("checkin_lat", sa.Float(), nullable=True),
        sa.Column("checkin_lon", sa.Float(), nullable=True),
        sa.Column("checkin_accuracy_m", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("far", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_visits_customer_at", "visits", ["customer_id", "planned_at", "id"])
    op.create_index("ix_visits_staff_id", "visits", ["staff_id"])
    op.create_index("ix_visits_plan_id", "visits", ["plan_id"])
    op.create_table(
        "route_points",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("plan_id", "visit_plans.id", False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
    )
    op.create_index("ix_route_points_plan_id", "route_points", ["plan_id"])
    op.create_table(
        "activities",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("staff_id", "staff.id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", _AT, nullable=False),
        sa.Column("direction", sa.String(16), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index("ix_activities_customer_at", "activities", ["customer_id", "at", "id"])
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("owner_staff_id", "staff.id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("due_at", _AT, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("done_at", _AT, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
    )
    op.create_index(
        "ix_tasks_customer_open",
        "tasks",
        ["customer_id", "due_at"],
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_tasks_customer_created", "tasks", ["customer_id", "created_at", "id"])
    op.create_index("ix_tasks_owner_staff_id", "tasks", ["owner_staff_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(64), primary_key=True),
        _ref("tenant_id", "tenants.id", False),
        _ref("customer_id", "customers.id", False),
        _ref("store_id", "stores.id"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", _AT, nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        _ref("assignee_staff_id", "staff.id"),
        sa.Column("assigned_at", _AT, nullable=True),
        sa.Column("assigned_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", _AT, nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
        sa.Column("resolution", sa.String(2000), nullable=False),
        sa.Column("confirmed_at", _AT, nullable=True),
        sa.Column("confirmed_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_tickets_customer_opened", "tickets", ["customer_id", "opened_at", "id"])
    op.create_index("ix_tickets_assignee_staff_id", "tickets", ["assignee_staff_id"])


def downgrade() -> None:
    for table in ("tickets", "tasks", "activities", "route_points", "visits", "visit_plans"):
        op.drop_table(table)
