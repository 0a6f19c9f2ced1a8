"""The stream's read horizon: the oldest transaction that may still write a segment, and
no other. Before, it was the snapshot's xmin, which any long transaction anywhere on the
server (another database included) held back, and consumers stood still."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from hub.db.stream_writers import LOCK_KEY, LOCK_SPACE, read_horizon
from hub.errors import ConfigError
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload
from tests.support.postgres import ADMIN_URL


@contextmanager
def _open_transaction(conninfo: str, writer: bool, with_id: bool = True) -> Iterator[int]:
    """A transaction held open on its own connection; yields its id (0 if it has none)."""
    with psycopg.connect(conninfo) as conn:
        if writer:
            conn.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", (LOCK_SPACE, LOCK_KEY))
        xid = 0
        if with_id:
            row = conn.execute("SELECT pg_current_xact_id()::text::bigint").fetchone()
            xid = int(row[0]) if row else 0
        yield xid
        conn.rollback()


def _conninfo(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        url = session.get_bind().engine.url  # type: ignore[union-attr]
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _horizon(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return read_horizon(session)


def _next_id(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        value = session.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
        return int(value or 0)


def test_only_open_writers_hold_the_horizon(sessions: sessionmaker[Session]) -> None:
    here = _conninfo(sessions)
    with (
        _open_transaction(ADMIN_URL, writer=False) as elsewhere,  # another database
        _open_transaction(here, writer=False) as reader,  # this one, not a writer
        _open_transaction(here, writer=True, with_id=False),  # a writer with no id yet
    ):
        assert elsewhere < reader
        assert _horizon(sessions) == _next_id(sessions)  # neither holds consumers back
        with _open_transaction(here, writer=True) as writer:
            with _open_transaction(here, writer=True) as later_writer:
                assert writer < later_writer
                assert _horizon(sessions) == writer
            assert _horizon(sessions) == writer  # the later one ended; the older still open
        assert _horizon(sessions) == _next_id(sessions)


def test_a_long_transaction_in_another_database_does_not_stall_the_projection(
    ingest: IngestService, projector: ConsumerRunner
) -> None:
    now = datetime.now(UTC)
    with _open_transaction(ADMIN_URL, writer=False):
        b = batch("gw-demo-1", [checkout("R-HORIZON", member="M1001", total=990)], at=now)
        assert ingest.commit_batch("gw-demo-1", payload(b), now).committed == 1
        assert projector.drain().applied == 1


def test_a_consumer_refuses_a_single_snapshot(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        with pytest.raises(ConfigError, match="READ COMMITTED"):
            read_horizon(session)
