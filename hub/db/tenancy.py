"""Every table of the hub carries tenant_id (NOT NULL, a foreign key to tenants), except
these; tests/hub/test_tenant_columns.py reads the catalogue and holds the hub to it, so a
new table without the column fails the suite (docs/hub-layout.md, "Tenants")."""

# Hub machinery shared by every tenant: the consumers' stream positions, Alembic's own.
CROSS_TENANT_TABLES = frozenset({"tenants", "stream_cursors", "alembic_version"})
# NULL there means input from a gateway the registry does not know, or failed logins of
# a name nobody has: nobody's.
TENANT_MAY_BE_NULL = frozenset({"dead_letters", "dead_letter_days", "login_throttle"})
