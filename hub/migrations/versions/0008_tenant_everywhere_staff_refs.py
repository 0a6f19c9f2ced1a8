"""Every table of the hub carries tenant_id (backfilled from the parent rows, NOT NULL, a
foreign key to tenants), and purchases and touchpoints point at the staff record their
till's staff_id names (staff_ref), or are flagged when it names nobody (staff_unknown).

Exempt: stream_cursors (the consumers' positions, across tenants) and alembic_version.
dead_letters and dead_letter_days keep a NULL tenant for what came from a gateway the
registry does not know: nobody's input has no tenant (docs/hub-layout.md).

Backfilling rewrites event_keys, the largest of these tables: on a hub with years of
events, run it in a maintenance window.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hub.errors import StorageError

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (parent table, join condition, the parent's tenant column): how it is backfilled
BACKFILL = {
    "purchase_items": ("purchases p", "p.id = t.purchase_id", "p.tenant_id"),
    "event_keys": ("gateways p", "p.id = t.gateway_id", "p.tenant_id"),
    "cache_versions": ("stores p", "p.id = t.store_id", "p.tenant_id"),
    "dead_letters": ("gateways p", "p.id = t.gateway_id", "p.tenant_id"),
    "dead_letter_days": ("gateways p", "p.id = t.gateway_id", "p.tenant_id"),
}
NULL_WHEN_UNKNOWN = {"dead_letters", "dead_letter_days"}
# Already had the column but no foreign key.
FK_ONLY = ("events", "stream_segments")
STAFF_TABLES = ("purchases", "touchpoints")


def _fk_name(table: str) -> str:
    return f"fk_{table}_tenant_id_tenants"


def _tenant_column(table: str, parent: str, join: str, source: str) -> None:
    op.add_column(table, sa.Column("tenant_id", sa.String(64), nullable=True))
    op.execute(f"UPDATE {table} t SET tenant_id = {source} FROM {parent} WHERE {join}")
    if table not in NULL_WHEN_UNKNOWN:
        orphans = op.get_bind().scalar(
            sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id IS NULL")
        )
        if orphans:
            raise StorageError(
                f"0008: {orphans} rows of {table} have no {parent.split()[0]} row to take a "
                "tenant from; fix or remove them, then migrate again"
            )
        op.alter_column(table, "tenant_id", nullable=False)
    op.create_foreign_key(_fk_name(table), table, "tenants", ["tenant_id"], ["id"])


def _staff_columns(table: str) -> None:
    op.add_column(table, sa.Column("staff_ref", sa.String(64), nullable=True))
    op.add_column(
        table,
        sa.Column("staff_unknown", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute(
        f"UPDATE {table} t SET staff_ref = s.id FROM staff s "
        "WHERE s.tenant_id = t.tenant_id AND s.code = t.staff_id"
    )
    op.execute(
        f"UPDATE {table} SET staff_unknown = true WHERE staff_id IS NOT NULL AND staff_ref IS NULL"
    )
    # No index on staff_ref until something reads by it (a staff member's sales): one
    # more index per projected row is not free.
    op.create_foreign_key(f"fk_{table}_staff_ref_staff", table, "staff", ["staff_ref"], ["id"])
    op.create_index(
        f"ix_{table}_staff_unknown",
        table,
        ["tenant_id", "staff_id"],
        postgresql_where=sa.text("staff_unknown"),
    )


def upgrade() -> None:
    for table, (parent, join, source) in BACKFILL.items():
        _tenant_column(table, parent, join, source)
    op.create_index("ix_dead_letters_tenant_id", "dead_letters", ["tenant_id"])
    for table in FK_ONLY:
        op.create_foreign_key(_fk_name(table), table, "tenants", ["tenant_id"], ["id"])
    for table in STAFF_TABLES:
        _staff_columns(table)


def downgrade() -> None:
    for table in STAFF_TABLES:
        op.drop_index(f"ix_{table}_staff_unknown", table_name=table)
        op.drop_constraint(f"fk_{table}_staff_ref_staff", table, type_="foreignkey")
        op.drop_column(table, "staff_unknown")
        op.drop_column(table, "staff_ref")
    for table in FK_ONLY:
        op.drop_constraint(_fk_name(table), table, type_="foreignkey")
    op.drop_index("ix_dead_letters_tenant_id", table_name="dead_letters")
    for table in BACKFILL:
        op.drop_constraint(_fk_name(table), table, type_="foreignkey")
        op.drop_column(table, "tenant_id")
