"""PostgreSQL without TimescaleDB: `events` range-partitioned by month on occurred_at, a
DEFAULT partition so no row is ever refused, and a plain materialized view of daily counts.

Partitions are made on demand for the months a batch carries (plus the next month), but only
within a plausible window around the receive time: a gateway whose clock says 1970 lands in
the DEFAULT partition instead of creating a partition per wrong month.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from operator import attrgetter

from sqlalchemy import Connection, text

EVENTS = "events"
DEFAULT_PARTITION = "events_default"
ROLLUP_VIEW = "events_daily"
MONTHS_BACK = 24
MONTHS_AHEAD = 2
_YEAR_MONTH = attrgetter("year", "month")
_LOCK_KEY = "storepulse.events.partitions"


def month_start(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    return datetime(value.year, value.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    year, mon = (month.year + 1, 1) if month.month == 12 else (month.year, month.month + 1)
    return datetime(year, mon, 1, tzinfo=UTC)


def partition_name(month: datetime) -> str:
    return f"{EVENTS}_y{month.year:04d}m{month.month:02d}"


def _months_between(a: datetime, b: datetime) -> int:
    return (b.year - a.year) * 12 + (b.month - a.month)


def months_to_prepare(occurred: Iterable[datetime], now: datetime) -> set[datetime]:
    """The month partitions a batch needs: each month seen (if plausible) and the one after.
    `occurred` are UTC (wire datetimes are normalised on decoding): a batch is hundreds of
    them, so this stays at one C-level attribute fetch each."""
    current = month_start(now)
    wanted: set[datetime] = set()
    seen: set[tuple[int, int]] = set(map(_YEAR_MONTH, occurred))
    for year, mon in seen:  # a batch spans a month or two: do the rest once per month
        month = datetime(year, mon, 1, tzinfo=UTC)
        if -MONTHS_AHEAD <= _months_between(month, current) <= MONTHS_BACK:
            wanted.update((month, next_month(month)))
    return wanted


def create_partitioned_storage(conn: Connection, now: datetime) -> None:
    """Run once by the migration after the partitioned `events` table exists."""
    conn.execute(text(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {EVENTS} DEFAULT"))
    current = month_start(now)
    ensure_month_partitions(conn, {current, next_month(current)})
    conn.execute(
        text(
            f"CREATE MATERIALIZED VIEW {ROLLUP_VIEW} AS "
            "SELECT date_trunc('day', occurred_at AT TIME ZONE 'UTC') AS day, "
            "tenant_id, store_id, type, count(*) AS events "
            f"FROM {EVENTS} GROUP BY 1, 2, 3, 4 WITH DATA"
        )
    )
    # A unique index lets REFRESH ... CONCURRENTLY keep the view readable while it runs.
    conn.execute(
        text(
            f"CREATE UNIQUE INDEX uq_{ROLLUP_VIEW} "
            f"ON {ROLLUP_VIEW} (day, tenant_id, store_id, type)"
        )
    )


def existing_partitions(conn: Connection) -> set[str]:
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = :parent"
        ),
        {"parent": EVENTS},
    )
    return {row[0] for row in rows}


def ensure_month_partitions(conn: Connection, months: Iterable[datetime]) -> list[str]:
    """Create the missing month partitions, moving any rows the DEFAULT partition already
    holds for that month into it. Serialised across workers by a transaction lock."""
    wanted = {partition_name(m): m for m in months}
    missing = set(wanted) - existing_partitions(conn)
    if not missing:
        return []
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": _LOCK_KEY})
    missing -= existing_partitions(conn)
    for name in sorted(missing):
        _attach_month(conn, name, wanted[name])
    return sorted(missing)


def _attach_month(conn: Connection, name: str, month: datetime) -> None:
    bounds = {"lo": month, "hi": next_month(month)}
    conn.execute(text(f"CREATE TABLE {name} (LIKE {EVENTS} INCLUDING DEFAULTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE occurred_at >= :lo AND occurred_at < :hi RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    lo, hi = (b.isoformat() for b in (bounds["lo"], bounds["hi"]))
    conn.execute(
        text(f"ALTER TABLE {EVENTS} ATTACH PARTITION {name} FOR VALUES FROM ('{lo}') TO ('{hi}')")
    )


def refresh_rollup(conn: Connection) -> None:
    conn.execute(text(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {ROLLUP_VIEW}"))
