"""A seq claimed by a concurrent transaction while the batch statement ran is outside the
statement's snapshot: it comes back 'unseen' and is settled by a fresh query, as a
redelivery or as a conflict"""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.db.event_origin import Where
from hub.demo.seed import seed_demo
from hub.ingest.batch_outcome import IngestOutcome
from hub.ingest.batch_steps import store_batch
from hub.ingest.service import IngestService
from tests.hub.batches import batch, checkout, payload, tap
from tests.hub.conftest import SKEW_LIMIT, TENANT_KEY
from tests.support.ack_hub import wait_until
from wire.messages import EventBatch, SeqRange

NOW = datetime.now(UTC)  # a month whose partition the migration made: no DDL in the race


@pytest.fixture
def pg(pg_url_each_server: str) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    migrate(pg_url_each_server)
    engine = make_engine(pg_url_each_server)
    sessions = make_session_factory(engine)
    seed_demo(sessions, TENANT_KEY)
    yield engine, sessions
    engine.dispose()


def _blocked_on_a_lock(engine: Engine) -> bool:
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    with engine.connect() as conn:
        return bool(conn.execute(text(query)).scalar_one())


def _commit_while_claimed(
    pg: tuple[Engine, sessionmaker[Session]], first: EventBatch, second: EventBatch
) -> IngestOutcome:
    """Commit `second` while a transaction holds the uncommitted claims of `first`."""
    engine, sessions = pg
    service = IngestService(sessions, TENANT_KEY, SKEW_LIMIT)
    where = Where("tenant-demo", "store-sh-xuhui", "gw-demo-1", NOW)
    outcome: list[IngestOutcome] = []
    with sessions.begin() as holder:
        store_batch(holder, where, first, list(first.events), NOW)
        racer = threading.Thread(
            target=lambda: outcome.append(service.commit_batch("gw-demo-1", payload(second), NOW))
        )
        racer.start()
        wait_until(lambda: _blocked_on_a_lock(engine))  # its statement waits on our keys
    racer.join(30)
    [out] = outcome
    return out


def test_a_redelivery_racing_the_first_delivery_is_acked_committed(
    pg: tuple[Engine, sessionmaker[Session]],
) -> None:
    b = batch("gw-demo-1", [tap(), checkout("R-1")], at=NOW)
    out = _commit_while_claimed(pg, b, b)
    assert (out.committed, out.duplicates, out.conflicts) == (0, 2, 0)
    assert out.ack is not None and out.ack.committed == [SeqRange(first=1, last=2)]


def test_other_content_racing_the_first_delivery_is_a_conflict(
    pg: tuple[Engine, sessionmaker[Session]],
) -> None:
    b = batch("gw-demo-1", [tap(), checkout("R-1")], at=NOW)
    other = batch("gw-demo-1", [tap(), checkout("R-2")], epoch=b.epoch, at=NOW)
    other = other.model_copy(update={"events": [b.events[0], other.events[1]]})
    out = _commit_while_claimed(pg, b, other)
    assert (out.committed, out.duplicates, out.conflicts) == (0, 1, 1)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=1, last=1)]
    assert out.ack.dead_lettered == [SeqRange(first=2, last=2)]
