"""Late events reach the daily rollup; no refresh reaches over dropped chunks.

The consumer (hub/projection/rollup_refresh.py) refreshes the days late events touch that
Timescale's refresh policy will not. The tests that need TimescaleDB skip on a server
without it (the machine's): docs/hub-storage.md says how to run them against one."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.analytics.rollups import late_day_windows
from hub.db.events_storage import EventsLayout, detect_layout, refresh_rollup
from hub.db.timescale_rollup import RollupPolicy, rollup_policy
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from hub.projection.rollup_refresh import RollupRefresh
from tests.hub.batches import batch, payload, tap

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _day(days_ago: int) -> datetime:
    return datetime(2026, 12, 2, tzinfo=UTC) - days_ago * DAY


def test_late_days_are_the_ones_the_policy_leaves_and_retention_still_allows() -> None:
    policy = RollupPolicy(refreshed_from=NOW - 3 * DAY + 2 * timedelta(hours=1), horizon=None)
    occurred = [_day(d) + timedelta(hours=h) for d in (60, 10, 11, 12, 1) for h in (1, 23)]
    assert late_day_windows(occurred, policy) == [
        (_day(60), _day(59)),
        (_day(12), _day(9)),  # three days in a row: one window
    ]
    # The day the policy's window starts in is only partly covered: it is late too.
    assert late_day_windows([_day(3) + timedelta(hours=20)], policy) == [(_day(3), _day(2))]
    # No day from a horizon of retention back: their raw events may be dropped.
    clamped = RollupPolicy(policy.refreshed_from, horizon=_day(11) + timedelta(hours=5))
    assert late_day_windows(occurred, clamped) == [(_day(10), _day(9))]
    # No refresh policy: every day touched is refreshed here.
    assert late_day_windows([NOW], RollupPolicy(None, None)) == [(_day(0), _day(-1))]


@pytest.fixture
def db_url(pg_url_each_server: str) -> str:
    """tests/hub/conftest.py's engine, sessions and ingest, on each server the run has."""
    return pg_url_each_server


def _layout(engine: Engine) -> EventsLayout:
    with engine.connect() as conn:
        return detect_layout(conn)


def _taps(ingest: IngestService, gateway: str, at: datetime, count: int, first_seq: int) -> None:
    body = batch(gateway, [tap()] * count, first_seq=first_seq, at=at)
    ingest.commit_batch(gateway, payload(body), datetime.now(UTC))


def _rollup(engine: Engine) -> dict[object, int]:
    with engine.connect() as conn:
        query = "SELECT day::date, sum(events)::int FROM events_daily GROUP BY 1"
        return {day: count for day, count in conn.execute(text(query))}


def _drain(runner: ConsumerRunner) -> int:
    """Events applied until none wait. A transaction elsewhere on a shared server can hold
    the stream's horizon back for a moment (docs/hub-layout.md): wait for it, not fail."""
    applied, deadline = 0, time.monotonic() + 60
    while True:
        applied += runner.drain().applied
        if runner.lag().events == 0:
            return applied
        if time.monotonic() > deadline:
            raise TimeoutError(f"{runner.name} still has {runner.lag()} to read")
        time.sleep(0.05)


def _compress_all(engine: Engine) -> int:
    with engine.begin() as conn:
        query = "SELECT count(compress_chunk(c, true)) FROM show_chunks('events') c"
        return int(conn.execute(text(query)).scalar_one())


def test_the_policies_are_read_from_the_database(engine: Engine) -> None:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        policy = rollup_policy(conn, now)
    if _layout(engine) is EventsLayout.PARTITIONED:
        assert policy is None  # a plain materialized view: no policy, nothing per event
        return
    hour = timedelta(hours=1)
    assert policy == RollupPolicy(refreshed_from=now - 3 * DAY + 2 * hour, horizon=now - 399 * DAY)


def test_late_events_reach_the_rollup(
    engine: Engine, sessions: sessionmaker[Session], ingest: IngestService
) -> None:
    refresher = ConsumerRunner(sessions, RollupRefresh())
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    sixty, ten = today - 60 * DAY, today - 10 * DAY
    _taps(ingest, "gw-demo-1", sixty, 3, first_seq=1)
    hypertable = _layout(engine) is EventsLayout.HYPERTABLE
    if hypertable:  # what the compression policy does after 30 days: later events go in too
        assert _compress_all(engine) >= 1
    _taps(ingest, "gw-demo-1", sixty + timedelta(hours=2), 2, first_seq=4)
    _taps(ingest, "gw-demo-2", ten, 4, first_seq=1)
    _taps(ingest, "gw-demo-2", today - DAY, 2, first_seq=1)  # the policy's, not late
    assert _rollup(engine) == {}  # created WITH NO DATA; the policy's window is 3 days

    assert _drain(refresher) == 11
    if hypertable:
        assert _rollup(engine) == {sixty.date(): 5, ten.date(): 4}
    else:  # a plain materialized view: refreshed whole, by refresh_rollup
        assert _rollup(engine) == {}

    _taps(ingest, "gw-demo-2", ten + timedelta(hours=1), 1, first_seq=5)  # later still
    _drain(refresher)
    if hypertable:
        assert _rollup(engine) == {sixty.date(): 5, ten.date(): 5}


@pytest.mark.timescale
def test_retention_then_refresh_keeps_the_rollup_rows(
    engine: Engine, sessions: sessionmaker[Session], ingest: IngestService
) -> None:
    assert _layout(engine) is EventsLayout.HYPERTABLE
    refresher = ConsumerRunner(sessions, RollupRefresh())
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    old, kept = today - 380 * DAY, today - 40 * DAY
    _taps(ingest, "gw-demo-1", old, 3, first_seq=1)
    _taps(ingest, "gw-demo-1", kept, 2, first_seq=4)
    _drain(refresher)
    assert _rollup(engine) == {old.date(): 3, kept.date(): 2}

    with engine.begin() as conn:  # what the retention policy does once these are 400 days old
        dropped = conn.execute(
            text("SELECT count(*) FROM drop_chunks('events', older_than => :t)"),
            {"t": kept - 7 * DAY},
        ).scalar_one()
        assert dropped >= 1
        # ... and the horizon the refresh then keeps out of: retention at 200 days.
        conn.execute(text("SELECT remove_retention_policy('events')"))
        conn.execute(text("SELECT add_retention_policy('events', INTERVAL '200 days')"))

    refresh_rollup(engine, datetime.now(UTC))  # the full refresh: from the horizon on
    _taps(ingest, "gw-demo-2", old + timedelta(hours=1), 1, first_seq=1)  # too late to count
    _taps(ingest, "gw-demo-2", kept + timedelta(hours=1), 1, first_seq=2)
    _drain(refresher)
    assert _rollup(engine) == {old.date(): 3, kept.date(): 3}
