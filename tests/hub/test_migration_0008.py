"""Migration 0008 on a database at 0007 that holds data: tenant_id is backfilled from the
parent rows, till staff codes resolve or are flagged; downgrade takes it all back and
keeps the rows; rows with no parent to take a tenant from stop it with a clear error."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from hub.db import make_engine, migrate
from hub.db.migrate import alembic_config
from hub.errors import StorageError

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
EPOCH = uuid.uuid4()
# Rows as 0007 had them: no tenant on items, keys, letters, days or cache versions.
AT_0007 = [
    "INSERT INTO tenants VALUES ('t-a', 'A', :now), ('t-b', 'B', :now)",
    "INSERT INTO regions (id, tenant_id, name) VALUES ('r-a', 't-a', 'RA'), ('r-b', 't-b', 'RB')",
    "INSERT INTO stores (id, tenant_id, region_id, name, city) VALUES "
    "('s-a', 't-a', 'r-a', 'SA', ''), ('s-b', 't-b', 'r-b', 'SB', '')",
    "INSERT INTO gateways (id, tenant_id, store_id, status, registered_at, version, skew_flagged)"
    " VALUES ('gw-a', 't-a', 's-a', 'active', :now, '', false),"
    " ('gw-b', 't-b', 's-b', 'active', :now, '', false)",
    "INSERT INTO staff (id, tenant_id, code, name, role, created_at, updated_at) VALUES "
    "('stf-a', 't-a', 'S01', 'Ann', 'staff', :now, :now),"
    " ('stf-b', 't-b', 'S01', 'Bo', 'staff', :now, :now)",
    "INSERT INTO purchases (id, tenant_id, store_id, receipt_no, at, total, currency, staff_id,"
    " terminal) VALUES (1, 't-a', 's-a', 'R1', :now, 100, 'CNY', 'S01', ''),"
    " (2, 't-b', 's-b', 'R2', :now, 100, 'CNY', 'S77', ''),"
    " (3, 't-b', 's-b', 'R3', :now, 100, 'CNY', NULL, '')",
    "INSERT INTO purchase_items (purchase_id, sku, name, qty, unit_price) VALUES "
    "(1, 'X', '', 1, 100), (2, 'Y', '', 1, 100)",
    "INSERT INTO touchpoints (tenant_id, store_id, kind, channel, at, staff_id, detail) VALUES "
    "('t-b', 's-b', 'service', 'pos', :now, 'S01', 'T1')",
    "INSERT INTO event_keys (gateway_id, epoch, seq, outcome, received_at) VALUES "
    "('gw-a', :epoch, 1, 'committed', :now), ('gw-b', :epoch, 1, 'committed', :now)",
    "INSERT INTO dead_letters (received_at, gateway_id, kind, reason, detail, payload) VALUES "
    "(:now, 'gw-b', 'event', 'bad', '', ''), (:now, 'gw-nobody', 'batch', 'unknown', '', '')",
    "INSERT INTO dead_letter_days (gateway_id, day, kept, kept_bytes, dropped, dropped_bytes) "
    "VALUES ('gw-a', '2026-12-01', 1, 10, 0, 0), ('gw-nobody', '2026-12-01', 1, 10, 0, 0)",
    "INSERT INTO cache_versions (store_id, version, updated_at) VALUES ('s-b', 3, :now)",
]


def _fill(conn: Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(text(statement), {"now": NOW, "epoch": EPOCH})


def _pairs(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(text(sql))]


def test_upgrade_backfills_and_downgrade_takes_it_back(db_url: str) -> None:
    migrate(db_url, "0007")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            _fill(conn, AT_0007)
        migrate(db_url, "0008")
        with engine.connect() as conn:
            assert _pairs(conn, "SELECT purchase_id, tenant_id FROM purchase_items ORDER BY 1") == [
                (1, "t-a"), (2, "t-b")
            ]  # fmt: skip
            assert _pairs(conn, "SELECT gateway_id, tenant_id FROM event_keys ORDER BY 1") == [
                ("gw-a", "t-a"), ("gw-b", "t-b")
            ]  # fmt: skip
            assert _pairs(conn, "SELECT gateway_id, tenant_id FROM dead_letters ORDER BY 1") == [
                ("gw-b", "t-b"), ("gw-nobody", None)
            ]  # fmt: skip
            days = "SELECT gateway_id, tenant_id FROM dead_letter_days ORDER BY 1"
            assert _pairs(conn, days) == [("gw-a", "t-a"), ("gw-nobody", None)]
            assert _pairs(conn, "SELECT store_id, tenant_id FROM cache_versions") == [
                ("s-b", "t-b")
            ]
            # Codes resolve within their tenant only; S77 names nobody: kept and flagged.
            sold = "SELECT receipt_no, staff_id, staff_ref, staff_unknown FROM purchases ORDER BY 1"
            assert _pairs(conn, sold) == [
                ("R1", "S01", "stf-a", False),
                ("R2", "S77", None, True),
                ("R3", None, None, False),
            ]
            touched = "SELECT detail, staff_ref, staff_unknown FROM touchpoints"
            assert _pairs(conn, touched) == [("T1", "stf-b", False)]
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in
                   ("purchase_items", "event_keys", "cache_versions", "purchases")}  # fmt: skip
        assert not any("tenant_id" in columns[t] for t in ("purchase_items", "event_keys"))
        assert not {"staff_ref", "staff_unknown"} & columns["purchases"]
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM purchase_items")) == 2
            assert conn.scalar(text("SELECT count(*) FROM event_keys")) == 2
        migrate(db_url)  # and up again
    finally:
        engine.dispose()


def test_rows_without_a_parent_stop_the_upgrade_with_a_clear_error(db_url: str) -> None:
    migrate(db_url, "0007")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            _fill(conn, AT_0007[:2])
            conn.execute(
                text("INSERT INTO cache_versions (store_id, version, updated_at) "
                     "VALUES ('s-gone', 1, :now)"), {"now": NOW}
            )  # fmt: skip
        with pytest.raises(StorageError, match="1 rows of cache_versions have no stores row"):
            migrate(db_url, "0008")
        with engine.connect() as conn:  # nothing of 0008 stayed
            version = conn.scalar(text("SELECT version_num FROM alembic_version"))
            assert version == "0007"
    finally:
        engine.dispose()
