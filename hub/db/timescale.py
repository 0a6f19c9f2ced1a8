"""PostgreSQL with TimescaleDB: `events` as a hypertable on occurred_at, a daily continuous
aggregate, compression and retention; and whether a new database gets it at all.

The choice comes from the catalogues, before anything is tried: a server that has the
extension's files but does not preload its library ends the connection with FATAL on
`CREATE EXTENSION` (no savepoint survives that). hub.db.migrate logs the choice and falls
back to plain PostgreSQL on a fresh connection if the Timescale path fails all the same.
The Timescale SQL runs only where the extension is: verified by hand on 2.28.3, and the
storage tests run against such a server through STOREPULSE_TEST_PG (docs/hub-storage.md).
"""

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

Layout = Literal["hypertable", "partitioned"]
CHOICE_KEY = "events_layout"  # in Alembic's config.attributes: hub.db.migrate's choice
ATTEMPTED_KEY = "timescale_attempted"  # set by the migration before CREATE EXTENSION


@dataclass(frozen=True)
class Catalogue:
    """What the server says about TimescaleDB, before anything is tried."""

    available: bool  # pg_available_extensions lists it (its control file is installed)
    preloaded: bool | None  # shared_preload_libraries names it; None: this role may not see


@dataclass(frozen=True)
class StorageChoice:
    layout: Layout
    reason: str


def read_catalogue(conn: Connection) -> Catalogue:
    available = conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')")
    ).scalar_one()
    # current_setting('shared_preload_libraries') as pg_settings shows it: to a role that is
    # neither superuser nor pg_read_all_settings the row is left out, where current_setting()
    # would raise and end the migration.
    setting = conn.execute(
        text("SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'")
    ).scalar_one_or_none()
    preloaded = None if setting is None else names_timescaledb(setting)
    return Catalogue(available=bool(available), preloaded=preloaded)


def names_timescaledb(shared_preload_libraries: str) -> bool:
    """Whether the setting's list names timescaledb (`'$libdir/timescaledb.so'` counts)."""
    for entry in shared_preload_libraries.split(","):
        name = entry.strip().strip('"').rsplit("/", 1)[-1].removesuffix(".so")
        if name == "timescaledb":
            return True
    return False


def choose_layout(catalogue: Catalogue) -> StorageChoice:
    if not catalogue.available:
        return StorageChoice("partitioned", "the timescaledb extension is not installed")
    if catalogue.preloaded is None:
        return StorageChoice(
            "partitioned",
            "this role may not read shared_preload_libraries "
            "(and CREATE EXTENSION timescaledb needs a superuser)",
        )
    if not catalogue.preloaded:
        return StorageChoice(
            "partitioned",
            "timescaledb is installed but not in shared_preload_libraries "
            "(CREATE EXTENSION would end the connection; run timescaledb-tune or add it)",
        )
    return StorageChoice("hypertable", "timescaledb is installed and preloaded")


def choice_for_new_database(conn: Connection, attributes: MutableMapping[str, Any]) -> Layout:
    """The layout the initial migration builds: hub.db.migrate's choice, or (Alembic's own
    command line) one made here from the catalogues. Logged with its reason."""
    choice = attributes.get(CHOICE_KEY)
    if not isinstance(choice, StorageChoice):
        choice = choose_layout(read_catalogue(conn))
    log.info("hub storage: events table %s: %s", choice.layout, choice.reason)
    if choice.layout == "hypertable":
        attributes[ATTEMPTED_KEY] = True
    return choice.layout


def enable(conn: Connection) -> None:
    """Create the extension. A failure ends the migration's transaction (if not the whole
    connection); hub.db.migrate then starts again on a fresh one without Timescale."""
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS timescaledb"))


ROLLUP_VIEW = "events_daily"
CHUNK_INTERVAL = "7 days"
COMPRESS_AFTER = "30 days"
RETAIN_FOR = "400 days"
# The stream's readers fetch a segment's events by (gateway_id, epoch, seq BETWEEN ...):
# segmenting by what they filter on lets a compressed chunk answer from one segment (DESIGN
# §5). Migration 0011 brings databases made with the old `store_id` segments to this.
COMPRESS_SEGMENTBY = "gateway_id, epoch"
COMPRESS_ORDERBY = "seq"
COMPRESSION_SQL = (
    "ALTER TABLE events SET (timescaledb.compress, "
    f"timescaledb.compress_segmentby = '{COMPRESS_SEGMENTBY}', "
    f"timescaledb.compress_orderby = '{COMPRESS_ORDERBY}')"
)

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
    COMPRESSION_SQL,
    f"SELECT add_compression_policy('events', INTERVAL '{COMPRESS_AFTER}')",
    f"SELECT add_retention_policy('events', INTERVAL '{RETAIN_FOR}')",
)


def create_timescale_storage(conn: Connection) -> None:
    """Run once by the migration after the plain `events` table exists."""
    for statement in SETUP_SQL:
        conn.execute(text(statement))


def installed(conn: Connection) -> bool:
    """Whether this database has the extension (not only the server its files)."""
    found = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'"))
    return found.first() is not None
