"""TimescaleDB: compressed chunks of `events` segment by `gateway_id, epoch` and are ordered
by `seq` (they were segmented by `store_id`, so the stream's readers decompressed whole
chunks every round). Chunks already compressed the old way are decompressed and compressed
again. A no-op on plain PostgreSQL (hub/db/timescale_compression.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from hub.db import timescale_compression

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    timescale_compression.apply_layout(op.get_bind())


def downgrade() -> None:
    # The old segments were the mistake; going back to them would only slow the readers.
    pass
