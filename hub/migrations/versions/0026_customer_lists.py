"""Customer lists (issue 14 item 11): the name key the list sorts and searches by, and a
GIN index on tags for the tag filter. docs/crm/search.md has the measurements behind the
choice of a btree prefix over pg_trgm for names: the hub needs no extension for it.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # lower(name) in byte ("C") order: the list's order and its prefix search, one range
    # scan each, for any script (two-character Chinese names included).
    op.execute(
        'CREATE INDEX ix_customers_name_key ON customers (tenant_id, (lower(name) COLLATE "C"), id)'
    )
    op.execute("CREATE INDEX ix_customers_tags ON customers USING gin (tags jsonb_path_ops)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customers_tags")
    op.execute("DROP INDEX IF EXISTS ix_customers_name_key")
