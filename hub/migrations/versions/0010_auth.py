"""Authentication: staff logins (argon2 hashes), login lockout counters, refresh token
families and API keys (sha256 of 256-bit random secrets).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> "sa.Column[datetime]":
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _tenant(nullable: bool = False) -> "sa.Column[str]":
    return sa.Column("tenant_id", sa.String(64), sa.ForeignKey("tenants.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff_credentials",
        sa.Column("staff_id", sa.String(64), sa.ForeignKey("staff.id"), primary_key=True),
        _tenant(),
        sa.Column("login", sa.String(200), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        _at("password_set_at"),
        sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
        _at("last_login_at", nullable=True),
        sa.CheckConstraint("login = lower(login) AND length(login) > 0", name="login_lower"),
    )
    op.create_index("ix_staff_credentials_tenant_id", "staff_credentials", ["tenant_id"])
    op.create_table(
        "login_throttle",
        sa.Column("login", sa.String(200), primary_key=True),
        _tenant(nullable=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        _at("first_failed_at"),
        _at("locked_until", nullable=True),
    )
    op.create_index("ix_login_throttle_first_failed_at", "login_throttle", ["first_failed_at"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        _tenant(),
        sa.Column("staff_id", sa.String(64), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("family_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        _at("authenticated_at"),
        _at("issued_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        _at("revoked_at", nullable=True),
    )
    for column in ("tenant_id", "staff_id", "family_id"):
        op.create_index(f"ix_refresh_tokens_{column}", "refresh_tokens", [column])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(64), primary_key=True),
        _tenant(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("grants", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _at("created_at"),
        _at("revoked_at", nullable=True),
    )
    op.create_index("ix_api_keys_tenant_id", "api_keys", ["tenant_id"])


def downgrade() -> None:
    for table in ("api_keys", "refresh_tokens", "login_throttle", "staff_credentials"):
        op.drop_table(table)
