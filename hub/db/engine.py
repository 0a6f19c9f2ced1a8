"""Engines and sessions. SQLite gets WAL, foreign keys and working savepoints."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_IMMEDIATE = "storepulse_sqlite_immediate"  # an execution option read by _on_begin


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; `sqlite:///path` gets its parent directory created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite delays BEGIN and commits around DDL, which breaks SAVEPOINTs; the
    # documented SQLAlchemy recipe takes over transaction control instead.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock up front (write_transaction): a deferred transaction
        # that read first and then writes after another writer committed fails at once with
        # SQLITE_BUSY_SNAPSHOT instead of waiting on busy_timeout.
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def write_transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """`sessions.begin()` for a transaction that writes. On SQLite it begins IMMEDIATE, so
    concurrent writers (ingest workers, the CRM projection) queue on busy_timeout instead
    of failing; elsewhere it is the same as `sessions.begin()`."""
    with sessions.begin() as session:
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
        yield session
