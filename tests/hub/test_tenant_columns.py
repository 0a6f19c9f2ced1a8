"""Every table of the hub carries tenant_id, NOT NULL, a foreign key to tenants: read from
PostgreSQL's catalogue of a migrated database, so a table added later without it fails
here. The exceptions are hub.db.tenancy's, and docs/hub-layout.md says why."""

from sqlalchemy import text

from hub.db import make_engine, migrate
from hub.db.tenancy import CROSS_TENANT_TABLES, TENANT_MAY_BE_NULL

# The hub's schemas: public and its own (audit), not PostgreSQL's or TimescaleDB's.
HUB_SCHEMA = (
    "{schema} NOT IN ('pg_catalog', 'information_schema', 'pg_toast') "
    "AND {schema} NOT LIKE '%timescaledb%'"
)
# Top-level tables, named as regclass prints them: bare in public, else schema.name
# (partitions inherit their parent's columns).
TABLES = f"""
SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {HUB_SCHEMA.format(schema="n.nspname")}
AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
TENANT_COLUMNS = f"""
SELECT CASE table_schema WHEN 'public' THEN table_name ELSE table_schema || '.' || table_name
END, is_nullable FROM information_schema.columns
WHERE {HUB_SCHEMA.format(schema="table_schema")} AND column_name = 'tenant_id'
"""
TENANT_KEYS = """
SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
WHERE c.contype = 'f' AND c.confrelid = 'tenants'::regclass AND a.attname = 'tenant_id'
"""


def test_every_table_carries_its_tenant(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        tables = set(conn.scalars(text(TABLES)))
        nullable = {table: null for table, null in conn.execute(text(TENANT_COLUMNS))}
        keyed = set(conn.scalars(text(TENANT_KEYS)))
    engine.dispose()
    tenant_tables = tables - CROSS_TENANT_TABLES
    assert {
        "purchase_items",
        "event_keys",
        "cache_versions",
        "events",
        "audit.log",
    } <= tenant_tables
    assert sorted(tenant_tables - set(nullable)) == [], "tables without tenant_id"
    assert sorted(tenant_tables - keyed) == [], "tenant_id without a foreign key to tenants"
    may_be_null = {t for t in tenant_tables if nullable[t] == "YES"}
    assert may_be_null == TENANT_MAY_BE_NULL
