"""The database of one-off admin commands (`storepulse hub api-key …`, `hub login set`,
`hub org …`, `hub migrate`):
the configured URL, or the embedded server in data_dir, started for the command (it
cannot be while a hub runs on it: one server per data directory, so use the API then)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.db.embedded import EmbeddedPostgres
from hub.settings import HubSettings


@contextmanager
def hub_database(settings: HubSettings) -> Iterator[str]:
    """The URL of the hub's database for one command: the configured one, or the embedded
    server in data_dir, started for the command and stopped after it (refused while a hub
    runs on that data directory)."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    server = EmbeddedPostgres(settings.data_dir)
    try:
        yield server.start()
    finally:
        server.stop()


@contextmanager
def admin_sessions(settings: HubSettings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the hub database, migrated first: a command may come before the first
    `hub serve`."""
    with hub_database(settings) as url:
        migrate(url)
        engine = make_engine(url)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()
