"""Migrations apply on each supported PostgreSQL (the test server and the embedded 18), twice
without harm, and down again."""

from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from hub.db import make_engine, migrate
from hub.db.migrate import alembic_config
from hub.errors import ConfigError

TABLES = {
    "tenants",
    "regions",
    "stores",
    "gateways",
    "customers",
    "identities",
    "purchases",
    "purchase_items",
    "touchpoints",
    "events",
    "event_keys",
    "dead_letters",
    "cache_versions",
    "stream_segments",
    "stream_cursors",
    "staff",
}


def test_migrations_apply_and_are_repeatable(pg_url_each_server: str) -> None:
    db_url = pg_url_each_server
    migrate(db_url)
    migrate(db_url)  # already at head: nothing to do
    engine = make_engine(db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        uniques = inspect(engine).get_unique_constraints("identities")
        assert {"tenant_id", "kind", "value"} in [set(u["column_names"]) for u in uniques]
        assert set(inspect(engine).get_pk_constraint("event_keys")["constrained_columns"]) == {
            "gateway_id",
            "epoch",
            "seq",
        }
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_hub_refuses_a_database_other_than_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PostgreSQL only, not sqlite"):
        make_engine(f"sqlite:///{tmp_path / 'hub.sqlite3'}")
