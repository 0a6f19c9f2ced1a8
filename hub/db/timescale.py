"""PostgreSQL with TimescaleDB: `events` as a hypertable on occurred_at, a daily continuous
aggregate, compression and retention. Isolated here; not exercised by the tests on machines
without the extension (see docs/hub-storage.md)."""

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

ROLLUP_VIEW = "events_daily"
CHUNK_INTERVAL = "7 days"
COMPRESS_AFTER = "30 days"
RETAIN_FOR = "400 days"

SETUP_SQL = (
    "SELECT create_hypertable('events', 'occurred_at', "
    f"chunk_time_interval => INTERVAL '{CHUNK_INTERVAL}', migrate_data => true)",
    # WITH NO DATA: creating a populated continuous aggregate cannot run in a transaction.
    f"CREATE MATERIALIZED VIEW {ROLLUP_VIEW} WITH (timescaledb.continuous) AS "
    "SELECT time_bucket(INTERVAL '1 day', occurred_at) AS day, tenant_id, store_id, type, "
    "count(*) AS events FROM events GROUP BY 1, 2, 3, 4 WITH NO DATA",
    f"SELECT add_continuous_aggregate_policy('{ROLLUP_VIEW}', "
    "start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', "
    "schedule_interval => INTERVAL '1 hour')",
    "ALTER TABLE events SET (timescaledb.compress, "
    "timescaledb.compress_segmentby = 'store_id', "
    "timescaledb.compress_orderby = 'occurred_at DESC')",
    f"SELECT add_compression_policy('events', INTERVAL '{COMPRESS_AFTER}')",
    f"SELECT add_retention_policy('events', INTERVAL '{RETAIN_FOR}')",
)


def try_enable(conn: Connection) -> bool:
    """True when the extension is (now) installed; a failure is rolled back in a savepoint."""
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
    except DBAPIError:
        return False
    return True


def create_timescale_storage(conn: Connection) -> None:
    """Run once by the migration after the plain `events` table exists."""
    for statement in SETUP_SQL:
        conn.execute(text(statement))


def refresh_rollup(conn: Connection) -> None:
    conn.execute(text(f"CALL refresh_continuous_aggregate('{ROLLUP_VIEW}', NULL, NULL)"))
