"""The audit log, append-only: who, what, when, before and after, the request id.

Two locks, so that the role the hub runs as cannot change history:
- triggers refuse UPDATE, DELETE and TRUNCATE for every role, owner and superuser included
  (only dropping the trigger gets past them, and that takes ownership);
- the schema `audit` and everything in it belong to the NOLOGIN role
  `storepulse_audit_<database>` (one per database: roles are per cluster, and since
  PostgreSQL 16 a CREATEROLE role may hand objects only to roles it made itself): the
  migrating role, which is the role the hub runs as, keeps INSERT and SELECT only, so it
  can drop neither the triggers nor the table (a schema of its own because the owner of
  `public`, the database owner, may drop any table in it).
  The hand-over needs a role that may create roles (superuser or CREATEROLE); without one
  the triggers are the only lock, and the migration logs so (docs/security.md).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER_PREFIX = "storepulse_audit_"
log = logging.getLogger("hub.migrations")

_REFUSE = """
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit.log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    conn = op.get_bind()
    me, database, superuser, may = conn.execute(
        sa.text(
            "SELECT current_user, current_database(), rolsuper, rolsuper OR rolcreaterole "
            "FROM pg_roles WHERE rolname = current_user"
        )
    ).one()
    quote = conn.dialect.identifier_preparer.quote_identifier
    member, owner_name = quote(me), (OWNER_PREFIX + database)[:63]
    owner = quote(owner_name)
    if may:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": owner_name}
        ).first()
        if not exists:
            op.execute(f"CREATE ROLE {owner} NOLOGIN")
        if not superuser:  # only a member may hand objects to a role
            op.execute(f"GRANT {owner} TO {member}")
        op.execute(f"GRANT REFERENCES ON tenants TO {owner}")
        op.execute(f"CREATE SCHEMA audit AUTHORIZATION {owner}")
        op.execute(f"SET LOCAL ROLE {owner}")  # what is made now belongs to the owner
    else:
        log.warning("audit log: this role may not create roles; only triggers guard it")
        op.execute("CREATE SCHEMA audit")
    _create_log()
    if may:
        op.execute(f"SET LOCAL ROLE {member}")
        op.execute(f"GRANT USAGE ON SCHEMA audit TO {member}")
        op.execute(f"GRANT SELECT, INSERT ON audit.log TO {member}")
        if not superuser:
            op.execute(f"REVOKE {owner} FROM {member}")


def _create_log() -> None:
    op.create_table(
        "log",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("tenant_id", sa.String(64), sa.ForeignKey("public.tenants.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(200), nullable=False),
        sa.Column("before", postgresql.JSONB, nullable=True),
        sa.Column("after", postgresql.JSONB, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        schema="audit",
    )
    op.create_index("ix_log_tenant_id_id", "log", ["tenant_id", "id"], schema="audit")
    op.create_index("ix_log_entity", "log", ["tenant_id", "entity", "entity_id"], schema="audit")
    op.execute(_REFUSE)
    op.execute(
        "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON audit.log "
        "FOR EACH ROW EXECUTE FUNCTION audit.refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER no_truncate BEFORE TRUNCATE ON audit.log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change()"
    )


def downgrade() -> None:
    # Only the owner may drop it: downgrading is for a superuser (or the owner role).
    op.execute("DROP SCHEMA audit CASCADE")
