"""The database of one-off admin commands (`storepulse hub api-key …`, `hub login set`):
the configured URL, or the embedded server in data_dir, started for the command (it
cannot be while a hub runs on it: one server per data directory, so use the API then)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.db.embedded import EmbeddedPostgres
from hub.settings import HubSettings


@contextmanager
def admin_sessions(settings: HubSettings) -> Iterator[sessionmaker[Session]]:
    server = None
    url = settings.database_url
    if url is None:
        server = EmbeddedPostgres(settings.data_dir)
        url = server.start()
    try:
        migrate(url)  # a command may come before the first `hub serve`
        engine = make_engine(url)
        try:
            yield make_session_factory(engine)
        finally:
            engine.dispose()
    finally:
        if server is not None:
            server.stop()
