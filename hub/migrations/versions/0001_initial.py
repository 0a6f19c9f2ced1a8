"""Initial schema: registry, CRM, ingest. On PostgreSQL the events table is a Timescale
hypertable when the catalogues say the extension is installed and preloaded, else monthly
range partitions (hub/db/timescale.py decides; hub/db/migrate.py falls back).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from hub.db import partitions, timescale
from hub.db.types import JsonDoc, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = UtcDateTime()


def _fk(column: str, target: str, **kw: object) -> sa.Column[str]:
    return sa.Column(column, sa.String(64), sa.ForeignKey(target), **kw)  # type: ignore[arg-type]


def _org() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "regions",
        sa.Column("id", sa.String(64), primary_key=True),
        _fk("tenant_id", "tenants.id", nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "stores",
        sa.Column("id", sa.String(64), primary_key=True),
        _fk("tenant_id", "tenants.id", nullable=False, index=True),
        _fk("region_id", "regions.id", nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
    )
    op.create_table(
        "gateways",
        sa.Column("id", sa.String(64), primary_key=True),
        _fk("tenant_id", "tenants.id", nullable=False, index=True),
        _fk("store_id", "stores.id", nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("online", sa.Boolean),
        sa.Column("version", sa.String(200), nullable=False),
        sa.Column("outbox_depth", sa.Integer),
        sa.Column("cache_version", sa.Integer),
        sa.Column("last_seen_at", TS),
        sa.Column("clock_skew_seconds", sa.Float),
        sa.Column("skew_flagged", sa.Boolean, nullable=False),
    )


def _crm() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), primary_key=True),
        _fk("tenant_id", "tenants.id", nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32)),
        _fk("home_store_id", "stores.id", index=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tags", JsonDoc, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _fk("tenant_id", "tenants.id", nullable=False),
        _fk("customer_id", "customers.id", nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "kind", "value", name="uq_identities_value"),
    )
    op.create_table(
        "purchases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _fk("tenant_id", "tenants.id", nullable=False),
        _fk("customer_id", "customers.id", index=True),
        _fk("store_id", "stores.id", nullable=False, index=True),
        sa.Column("gateway_id", sa.String(64)),
        sa.Column("event_id", sa.String(36), unique=True),
        sa.Column("receipt_no", sa.String(200), nullable=False),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("staff_id", sa.String(200)),
        sa.Column("terminal", sa.String(200), nullable=False),
    )
    op.create_table(
        "purchase_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("purchase_id", sa.Integer, sa.ForeignKey("purchases.id"), index=True),
        sa.Column("sku", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "touchpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _fk("tenant_id", "tenants.id", nullable=False),
        _fk("customer_id", "customers.id", index=True),
        _fk("store_id", "stores.id", nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("at", TS, nullable=False, index=True),
        sa.Column("staff_id", sa.String(200)),
        sa.Column("detail", sa.String(2000), nullable=False),
        sa.Column("event_id", sa.String(36)),
    )


def _ingest(layout: str) -> None:
    op.create_table(
        "event_keys",
        sa.Column("gateway_id", sa.String(64), primary_key=True),
        sa.Column("epoch", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("received_at", TS, nullable=False),
    )
    partition_by: dict[str, Any] = {"postgresql_partition_by": "RANGE (occurred_at)"}
    op.create_table(
        "events",
        sa.Column("gateway_id", sa.String(64), primary_key=True),
        sa.Column("epoch", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("occurred_at", TS, primary_key=True),
        sa.Column("event_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("body", JsonDoc, nullable=False),
        **(partition_by if layout == "partitioned" else {}),
    )
    op.create_index("ix_events_event_id", "events", ["event_id"])
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("received_at", TS, nullable=False, index=True),
        sa.Column("gateway_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("epoch", sa.Uuid),
        sa.Column("seq", sa.BigInteger),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(2000), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "cache_versions",
        sa.Column("store_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def upgrade() -> None:
    bind = op.get_bind()
    layout = "plain"
    if bind.dialect.name == "postgresql":
        layout = timescale.choice_for_new_database(bind, context.config.attributes)
        if layout == "hypertable":
            timescale.enable(bind)
    _org()
    _crm()
    _ingest(layout)
    if layout == "partitioned":
        partitions.create_partitioned_storage(bind, datetime.now(UTC))
    elif layout == "hypertable":
        timescale.create_timescale_storage(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP MATERIALIZED VIEW IF EXISTS events_daily")
    for table in (
        "cache_versions",
        "dead_letters",
        "events",
        "event_keys",
        "touchpoints",
        "purchase_items",
        "purchases",
        "identities",
        "customers",
        "gateways",
        "stores",
        "regions",
        "tenants",
    ):
        op.drop_table(table)
