"""PostgreSQL without TimescaleDB: monthly partitions with a DEFAULT, and a daily rollup view."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.db.events_storage import EventsLayout, detect_layout, refresh_rollup
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
def pg_ingest(pg_engine: Engine) -> IngestService:
    sessions: sessionmaker[Session] = make_session_factory(pg_engine)
    seed_demo(sessions, TENANT_KEY)
    return IngestService(sessions, TENANT_KEY, 120)


def _partition_of(engine: Engine, seq: int) -> str:
    with engine.connect() as conn:
        query = text("SELECT tableoid::regclass::text FROM events WHERE seq = :seq")
        return str(conn.execute(query, {"seq": seq}).scalar_one())


def test_events_table_is_partitioned(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        assert detect_layout(conn) is EventsLayout.PARTITIONED
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
    assert "events_default" in parts
    this_month = datetime.now(UTC)
    assert f"events_y{this_month.year:04d}m{this_month.month:02d}" in parts


def test_rows_land_in_their_month_and_implausible_dates_in_default(
    pg_ingest: IngestService, pg_engine: Engine
) -> None:
    now = datetime.now(UTC)
    march = datetime(now.year - 1, 3, 31, 23, 59, 59, tzinfo=UTC)  # seq 2 crosses into April
    pg_ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap(), tap()], at=march)), now)
    assert _partition_of(pg_engine, 1) == f"events_y{march.year}m03"
    assert _partition_of(pg_engine, 2) == f"events_y{march.year}m04"

    no_rtc = datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC)  # a Pi after a power cut
    pg_ingest.commit_batch(
        "gw-demo-1", payload(batch("gw-demo-1", [tap()], first_seq=3, at=no_rtc)), now
    )
    assert _partition_of(pg_engine, 3) == "events_default"


def test_partition_created_later_takes_its_rows_from_default(
    pg_ingest: IngestService, pg_engine: Engine
) -> None:
    from hub.db.partitions import ensure_month_partitions

    old = datetime(2001, 2, 3, tzinfo=UTC)
    pg_ingest.commit_batch(
        "gw-demo-1", payload(batch("gw-demo-1", [tap()], at=old)), datetime.now(UTC)
    )
    assert _partition_of(pg_engine, 1) == "events_default"
    with pg_engine.begin() as conn:
        assert ensure_month_partitions(conn, [datetime(2001, 2, 1, tzinfo=UTC)]) == [
            "events_y2001m02"
        ]
    assert _partition_of(pg_engine, 1) == "events_y2001m02"


def test_daily_rollup_refreshes_with_the_right_counts(
    pg_ingest: IngestService, pg_engine: Engine
) -> None:
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=2)
    bodies: list[EventBody] = [tap(), tap(), checkout("R-ROLL-1"), tap()]
    pg_ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", bodies, at=day)), day)
    pg_ingest.commit_batch(
        "gw-demo-2",
        payload(batch("gw-demo-2", [tap()], at=day + timedelta(days=1))),
        day + timedelta(days=1),
    )
    with pg_engine.begin() as conn:
        refresh_rollup(conn, EventsLayout.PARTITIONED)
    with pg_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT day::date, store_id, type, events FROM events_daily ORDER BY 1, 2, 3")
        ).all()
    assert [tuple(r) for r in rows] == [
        (day.date(), "store-sh-xuhui", "card.tapped", 3),
        (day.date(), "store-sh-xuhui", "pos.checkout", 1),
        ((day + timedelta(days=1)).date(), "store-sh-jingan", "card.tapped", 1),
    ]
