"""Event digests and per-gateway-day dead-letter counters.

`event_keys.digest` holds a digest of the content first stored under the key, so a seq
re-used with other content is told from a redelivery (a conflict, dead-lettered). Keys
written before this revision have none and are taken as redeliveries. `dead_letters.digest`
lets a re-sent conflict find its letter. `dead_letter_days` counts what each gateway's
dead letters kept and what the daily byte cap dropped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("event_keys", sa.Column("digest", sa.LargeBinary, nullable=True))
    op.add_column("dead_letters", sa.Column("digest", sa.LargeBinary, nullable=True))
    op.create_index("ix_dead_letters_key", "dead_letters", ["gateway_id", "epoch", "seq"])
    op.create_table(
        "dead_letter_days",
        sa.Column("gateway_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kept", sa.Integer, nullable=False),
        sa.Column("kept_bytes", sa.BigInteger, nullable=False),
        sa.Column("dropped", sa.Integer, nullable=False),
        sa.Column("dropped_bytes", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dead_letter_days")
    op.drop_index("ix_dead_letters_key", "dead_letters")
    for table in ("dead_letters", "event_keys"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("digest")
