"""Refreshing the continuous aggregate `events_daily` by hand, within what is safe.

Timescale's refresh policy only looks at its own window (the last `start_offset`, 3 days),
so late events older than that stay out of the rollup until somebody refreshes their days
(hub/analytics/rollups.py works out which). Two rules hold for every refresh here:
- `refresh_continuous_aggregate` refuses to run inside a transaction block: it runs on a
  connection of its own in autocommit;
- never over dropped chunks: a refresh recomputes its buckets from the raw rows, and
  where retention dropped them it would erase the rollup rows that outlive them. Every
  window starts at the retention horizon at the earliest (a day of margin past
  `drop_after`, so a retention run between the check and the refresh cannot cross it).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, text

from hub.db import timescale

DAY = timedelta(days=1)
# The jobs view names a refresh policy's continuous aggregate as its hypertable.
REFRESH_POLICY = text(
    "SELECT (config->>'start_offset')::interval, schedule_interval "
    "FROM timescaledb_information.jobs WHERE hypertable_name = :view "
    "AND proc_name = 'policy_refresh_continuous_aggregate' AND scheduled"
)
RETENTION_POLICY = text(
    "SELECT (config->>'drop_after')::interval FROM timescaledb_information.jobs "
    "WHERE hypertable_name = 'events' AND proc_name = 'policy_retention'"
)
HAS_ROLLUP = text(
    "SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = :view"
)
REFRESH = text(
    f"CALL refresh_continuous_aggregate('{timescale.ROLLUP_VIEW}', "
    "CAST(:start AS timestamptz), CAST(:end AS timestamptz))"
)


@dataclass(frozen=True)
class RollupPolicy:
    """Which days of the rollup Timescale refreshes by itself, and which none may touch."""

    refreshed_from: datetime | None  # days from here on: the policy's; None: no policy runs
    horizon: datetime | None  # no refresh before it (retention); None: no retention policy


def rollup_policy(conn: Connection, now: datetime) -> RollupPolicy | None:
    """The policies as the database has them now; None where `events_daily` is no
    continuous aggregate (plain PostgreSQL)."""
    if not timescale.installed(conn):
        return None
    if conn.execute(HAS_ROLLUP, {"view": timescale.ROLLUP_VIEW}).first() is None:
        return None
    refresh = conn.execute(REFRESH_POLICY, {"view": timescale.ROLLUP_VIEW}).first()
    refreshed_from: datetime | None = None
    if refresh is not None:
        start_offset, every = refresh
        # Covered: what the policy's next run sees, with one more run of margin. A policy
        # without start_offset refreshes from the beginning of time.
        oldest = datetime.min.replace(tzinfo=UTC)
        refreshed_from = oldest if start_offset is None else now - start_offset + 2 * every
    drop_after = conn.execute(RETENTION_POLICY).scalar_one_or_none()
    horizon = None if drop_after is None else now - drop_after + DAY
    return RollupPolicy(refreshed_from, horizon)


def day_of(moment: datetime) -> datetime:
    """The UTC day a moment falls in: time_bucket('1 day', ...)'s bucket on timestamptz."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def first_refreshable_day(policy: RollupPolicy) -> datetime | None:
    """The first whole day after the retention horizon (None: no horizon)."""
    if policy.horizon is None:
        return None
    start = day_of(policy.horizon)
    return start if start == policy.horizon else start + DAY


Window = tuple[datetime | None, datetime | None]  # [start, end); None: unbounded


def refresh_windows(engine: Engine, windows: Sequence[Window]) -> None:
    """Refresh each window on an autocommit connection of its own."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for start, end in windows:
            conn.execute(REFRESH, {"start": start, "end": end})


def refresh_all(engine: Engine, now: datetime) -> None:
    """Bring `events_daily` up to date from the retention horizon on; the rows of days
    before it (their raw events dropped) are kept as they are."""
    with engine.connect() as conn:
        policy = rollup_policy(conn, now)
    if policy is not None:
        refresh_windows(engine, [(first_refreshable_day(policy), None)])
