"""Which layout the `events` table has, and the per-layout steps ingest and reports need."""

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, Engine, text

from hub.db import partitions, timescale_rollup


class EventsLayout(StrEnum):
    PARTITIONED = "partitioned"  # monthly range partitions
    HYPERTABLE = "hypertable"  # TimescaleDB


def detect_layout(conn: Connection) -> EventsLayout:
    partitioned = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table t JOIN pg_class c ON c.oid = t.partrelid "
            "WHERE c.relname = 'events'"
        )
    ).first()
    return EventsLayout.PARTITIONED if partitioned else EventsLayout.HYPERTABLE


def prepare_months(
    conn: Connection, layout: EventsLayout, occurred: Iterable[datetime], now: datetime
) -> list[str]:
    """Make sure the rows about to be inserted have a month partition; returns new ones."""
    if layout is not EventsLayout.PARTITIONED:
        return []
    return partitions.ensure_month_partitions(conn, partitions.months_to_prepare(occurred, now))


def refresh_rollup(engine: Engine, now: datetime) -> None:
    """Bring `events_daily` up to date: on the hypertable from the retention horizon on (a
    refresh over dropped chunks would erase their rollup rows), outside any transaction."""
    with engine.begin() as conn:
        layout = detect_layout(conn)
        if layout is EventsLayout.PARTITIONED:
            partitions.refresh_rollup(conn)
            return
    timescale_rollup.refresh_all(engine, now)
