"""Run Alembic programmatically against a URL."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from hub.db import timescale
from hub.db.engine import make_engine
from hub.errors import StorageError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class _TimescalePathFailed(Exception):
    """The upgrade failed after the initial migration went for TimescaleDB."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` in one transaction where the backend
    allows (PostgreSQL: all DDL is transactional). On PostgreSQL the events layout of a new
    database is chosen from the catalogues first; if the Timescale path fails anyway, the
    whole upgrade runs again on a fresh connection with plain PostgreSQL."""
    engine = make_engine(url)
    try:
        choice = _choose(engine)
        try:
            _upgrade(engine, revision, choice)
        except _TimescalePathFailed as failed:
            reason = f"the TimescaleDB path failed: {failed}"
            log.warning("hub storage: %s; again on a fresh connection, without it", reason)
            engine.dispose()  # the failed connection may be dead (FATAL): never reuse it
            _upgrade(engine, revision, timescale.StorageChoice("partitioned", reason))
    except SQLAlchemyError as exc:
        raise StorageError(f"migration to {revision} failed: {exc}") from exc
    finally:
        engine.dispose()


def _choose(engine: Engine) -> timescale.StorageChoice:
    with engine.connect() as conn:
        return timescale.choose_layout(timescale.read_catalogue(conn))


def _upgrade(engine: Engine, revision: str, choice: timescale.StorageChoice | None) -> None:
    config = alembic_config()
    config.attributes[timescale.CHOICE_KEY] = choice
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        # Only a failure after the migration went for Timescale is retried without it.
        if config.attributes.get(timescale.ATTEMPTED_KEY):
            raise _TimescalePathFailed(str(exc).splitlines()[0]) from exc
        raise
