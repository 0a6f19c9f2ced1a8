"""The events table in the layout the server should give it: a TimescaleDB hypertable
(7-day chunks, a continuous aggregate, compression by gateway and epoch, retention) when the
catalogues say the extension is there and preloaded, else monthly partitions with a DEFAULT
and a materialized rollup view. Each test reads which layout the database has and checks
it is the one it should be; then what that layout does with the same rows. The machine's
server has no TimescaleDB: docs/hub-storage.md says how to run these against one."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.db.events_storage import EventsLayout, detect_layout, prepare_months, refresh_rollup
from hub.db.timescale import choose_layout, read_catalogue
from hub.db.timescale_compression import settings_of
from hub.demo.seed import seed_demo
from hub.ingest.service import IngestService
from tests.hub.batches import batch, checkout, payload, tap
from tests.hub.conftest import TENANT_KEY
from wire.events import EventBody


@pytest.fixture
def pg_engine(pg_url_each_server: str) -> Iterator[Engine]:
    migrate(pg_url_each_server)
    engine = make_engine(pg_url_each_server)
    yield engine
    engine.dispose()


@pytest.fixture
def layout(pg_engine: Engine) -> EventsLayout:
    """The layout the database has, after checking it is the one the server should give."""
    with pg_engine.connect() as conn:
        expected = EventsLayout(choose_layout(read_catalogue(conn)).layout)
        found = detect_layout(conn)
    assert found is expected
    return found


@pytest.fixture
def pg_ingest(pg_engine: Engine) -> IngestService:
    sessions: sessionmaker[Session] = make_session_factory(pg_engine)
    seed_demo(sessions, TENANT_KEY)
    return IngestService(sessions, TENANT_KEY, 120)


def _container_of(engine: Engine, seq: int) -> str:
    """The partition or chunk that holds the event."""
    with engine.connect() as conn:
        query = text("SELECT tableoid::regclass::text FROM events WHERE seq = :seq")
        return str(conn.execute(query, {"seq": seq}).scalar_one())


def _chunk_covering(engine: Engine, moment: datetime) -> str:
    with engine.connect() as conn:
        query = text(
            "SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
            "WHERE hypertable_name = 'events' AND range_start <= :t AND :t < range_end"
        )
        return str(conn.execute(query, {"t": moment}).scalar_one())


def _where_it_belongs(engine: Engine, layout: EventsLayout, moment: datetime, month: str) -> str:
    """Partitioned: the month's partition (`month`); hypertable: the chunk covering it."""
    return month if layout is EventsLayout.PARTITIONED else _chunk_covering(engine, moment)


def test_events_table_has_the_layout_it_should(pg_engine: Engine, layout: EventsLayout) -> None:
    with pg_engine.connect() as conn:
        if layout is EventsLayout.HYPERTABLE:
            dimension = conn.execute(
                text(
                    "SELECT column_name, time_interval FROM timescaledb_information.dimensions "
                    "WHERE hypertable_name = 'events'"
                )
            ).one()
            assert tuple(dimension) == ("occurred_at", timedelta(days=7))
            assert settings_of(conn) == ("gateway_id,epoch", "seq,occurred_at DESC")
            rollup = "SELECT 1 FROM timescaledb_information.continuous_aggregates "
            assert conn.execute(text(rollup + "WHERE view_name = 'events_daily'")).first()
            jobs = set(
                conn.scalars(
                    text(
                        "SELECT proc_name FROM timescaledb_information.jobs "
                        "WHERE proc_name LIKE 'policy_%'"
                    )
                )
            )
            assert jobs >= {
                "policy_refresh_continuous_aggregate",
                "policy_compression",
                "policy_retention",
            }
            return
        strategy = conn.execute(
            text(
                "SELECT partstrat FROM pg_partitioned_table t "
                "JOIN pg_class c ON c.oid = t.partrelid WHERE c.relname = 'events'"
            )
        ).scalar_one()
        assert strategy == "r"
        parts = set(
            conn.execute(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits "
                    "WHERE inhparent = 'events'::regclass"
                )
            ).scalars()
        )
        assert settings_of(conn) is None  # nothing of TimescaleDB here
    assert "events_default" in parts
    this_month = datetime.now(UTC)
    assert f"events_y{this_month.year:04d}m{this_month.month:02d}" in parts


def test_rows_land_where_their_time_belongs_and_implausible_dates_too(
    pg_ingest: IngestService, pg_engine: Engine, layout: EventsLayout
) -> None:
    now = datetime.now(UTC)
    march = datetime(now.year - 1, 3, 31, 23, 59, 59, tzinfo=UTC)  # seq 2 crosses into April
    pg_ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap(), tap()], at=march)), now)
    april = march + timedelta(seconds=1)
    assert _container_of(pg_engine, 1) == _where_it_belongs(
        pg_engine, layout, march, f"events_y{march.year}m03"
    )
    assert _container_of(pg_engine, 2) == _where_it_belongs(
        pg_engine, layout, april, f"events_y{march.year}m04"
    )

    no_rtc = datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC)  # a Pi after a power cut
    pg_ingest.commit_batch(
        "gw-demo-1", payload(batch("gw-demo-1", [tap()], first_seq=3, at=no_rtc)), now
    )
    # Partitioned: DEFAULT, not a partition of its own; the hypertable: a chunk of its week.
    assert _container_of(pg_engine, 3) == _where_it_belongs(
        pg_engine, layout, no_rtc, "events_default"
    )


def test_partition_created_later_takes_its_rows_from_default(
    pg_ingest: IngestService, pg_engine: Engine, layout: EventsLayout
) -> None:
    old = datetime(2001, 2, 3, tzinfo=UTC)
    pg_ingest.commit_batch(
        "gw-demo-1", payload(batch("gw-demo-1", [tap()], at=old)), datetime.now(UTC)
    )
    if layout is EventsLayout.PARTITIONED:  # 2001 is no plausible month: DEFAULT holds it
        assert _container_of(pg_engine, 1) == "events_default"
    with pg_engine.begin() as conn:
        made = prepare_months(conn, layout, [old], datetime(2001, 2, 10, tzinfo=UTC))
    if layout is EventsLayout.HYPERTABLE:
        assert made == []  # Timescale makes its chunks itself, on insert
        assert _container_of(pg_engine, 1) == _chunk_covering(pg_engine, old)
        return
    assert made == ["events_y2001m02", "events_y2001m03"]
    assert _container_of(pg_engine, 1) == "events_y2001m02"


def test_daily_rollup_refreshes_with_the_right_counts(
    pg_ingest: IngestService, pg_engine: Engine, layout: EventsLayout
) -> None:
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)
    bodies: list[EventBody] = [tap(), tap(), checkout("R-ROLL-1"), tap()]
    pg_ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", bodies, at=day)), day)
    pg_ingest.commit_batch(
        "gw-demo-2",
        payload(batch("gw-demo-2", [tap()], at=day + timedelta(days=1))),
        day + timedelta(days=1),
    )
    refresh_rollup(pg_engine, datetime.now(UTC))  # on the hypertable: outside a transaction
    with pg_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT day::date, store_id, type, events FROM events_daily ORDER BY 1, 2, 3")
        ).all()
    assert [tuple(r) for r in rows] == [
        (day.date(), "store-sh-xuhui", "card.tapped", 3),
        (day.date(), "store-sh-xuhui", "pos.checkout", 1),
        ((day + timedelta(days=1)).date(), "store-sh-jingan", "card.tapped", 1),
    ]
