"""Whether a new hub database gets TimescaleDB: decided from the catalogues, logged with its
reason, and a failed Timescale path falls back to plain PostgreSQL on a fresh connection.

Against real PostgreSQL: the machine's server (no TimescaleDB) and a private copy of it
(tests/support/pg_cluster.copy_of_server) given a stand-in `timescaledb`, so that each
answer of the two catalogues can be had for real. The stand-in's control file makes it
"available"; its library (a copy of contrib's auto_explain.so under the name
timescaledb.so) can be preloaded; its install script ends its own connection, as the
real extension's FATAL "must be preloaded" does, so `CREATE EXTENSION` fails for real at
the connection level. The machine's server is never touched.
"""

import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from hub.db import migrate
from hub.db.events_storage import EventsLayout, detect_layout
from hub.db.timescale import Catalogue, choose_layout, names_timescaledb, read_catalogue
from tests.support.pg_cluster import PrivatePostgres, ServerCopy, copy_of_server, scratch_name

CONTROL = "comment = 'test stand-in'\ndefault_version = '0.0'\nrelocatable = false\n"
SCRIPT = "SELECT pg_terminate_backend(pg_backend_pid());\n"  # the connection ends here
COMBINATIONS = [(a, p) for a in (False, True) for p in (False, True)]


@dataclass
class StandIn:
    cluster: PrivatePostgres
    files: ServerCopy

    def answer(self, available: bool, preloaded: bool) -> None:
        """Make the server's catalogues give these answers (restarting it if need be)."""
        control = self.files.extension_dir / "timescaledb.control"
        if available:
            control.write_text(CONTROL)
            (self.files.extension_dir / "timescaledb--0.0.sql").write_text(SCRIPT)
        else:
            control.unlink(missing_ok=True)
        wanted = {"shared_preload_libraries": "timescaledb"} if preloaded else {}
        if self.cluster.settings != wanted:
            self.cluster.settings = wanted
            self.cluster.restart()

    def new_database(self) -> str:
        return self.cluster.create_database(scratch_name())


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandIn]:
    root = Path(tempfile.mkdtemp(prefix="sp-pgts-"))
    files = copy_of_server(root)
    shutil.copy(files.lib_dir / "auto_explain.so", files.lib_dir / "timescaledb.so")
    cluster = PrivatePostgres(bin_dir=files.bin_dir).start()
    try:
        yield StandIn(cluster, files)
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(("available", "preloaded"), COMBINATIONS)
def test_the_choice_for_each_answer_of_the_catalogues(available: bool, preloaded: bool) -> None:
    choice = choose_layout(Catalogue(available=available, preloaded=preloaded))
    assert choice.layout == ("hypertable" if available and preloaded else "partitioned")
    if not available:
        assert choice.reason == "the timescaledb extension is not installed"
    elif not preloaded:
        assert "not in shared_preload_libraries" in choice.reason


def test_a_role_that_may_not_read_the_setting_gets_plain_postgresql() -> None:
    choice = choose_layout(Catalogue(available=True, preloaded=None))
    assert choice.layout == "partitioned"
    assert "may not read shared_preload_libraries" in choice.reason


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("", False),
        ("timescaledb", True),
        ("pg_stat_statements, timescaledb", True),
        ('"timescaledb"', True),
        ("$libdir/timescaledb.so", True),
        ("timescaledb_toolkit", False),
        ("auto_explain", False),
    ],
)
def test_shared_preload_libraries_is_read_as_postgresql_writes_it(
    setting: str, named: bool
) -> None:
    assert names_timescaledb(setting) is named


@pytest.mark.parametrize(("available", "preloaded"), COMBINATIONS)
def test_the_catalogues_are_read_from_a_real_server(
    stand_in: StandIn, available: bool, preloaded: bool
) -> None:
    stand_in.answer(available, preloaded)
    engine = sa.create_engine(stand_in.cluster.url("postgres"))
    try:
        with engine.connect() as conn:
            assert read_catalogue(conn) == Catalogue(available=available, preloaded=preloaded)
    finally:
        engine.dispose()


@pytest.mark.parametrize(("available", "preloaded"), COMBINATIONS)
def test_a_new_database_migrates_whatever_the_catalogues_say(
    stand_in: StandIn, caplog: pytest.LogCaptureFixture, available: bool, preloaded: bool
) -> None:
    stand_in.answer(available, preloaded)
    url = stand_in.new_database()
    caplog.set_level(logging.INFO, logger="hub.db")

    migrate(url)  # before: "Can't reconnect until invalid transaction is rolled back"

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert detect_layout(conn) is EventsLayout.PARTITIONED  # no real Timescale here
            installed = conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars()
            assert "timescaledb" not in set(installed)
    finally:
        engine.dispose()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("hub.db")]
    tried = available and preloaded
    if tried:  # the catalogues said yes; the stand-in ended the connection; fresh start
        assert any("the TimescaleDB path failed" in m and "terminat" in m for m in messages)
        assert "terminating connection due to administrator command" in stand_in.cluster.log()
    else:
        assert not any("failed" in m for m in messages)
    assert messages[-1].startswith("hub storage: events table partitioned: ")


def test_a_hub_role_that_is_not_superuser_migrates_without_trying(
    stand_in: StandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """Such a role may not read shared_preload_libraries (current_setting() raises) nor
    create the extension: the catalogue reading must not fail, and nothing is tried."""
    stand_in.answer(available=True, preloaded=True)
    role, database = scratch_name(), scratch_name()
    with psycopg.connect(stand_in.cluster.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
    url = f"postgresql+psycopg://{role}@127.0.0.1:{stand_in.cluster.port}/{database}"
    caplog.set_level(logging.INFO, logger="hub.db")

    migrate(url)

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert read_catalogue(conn) == Catalogue(available=True, preloaded=None)
        assert detect_layout(conn) is EventsLayout.PARTITIONED
    engine.dispose()
    assert not any("failed" in m for m in caplog.messages)
    assert any("may not read shared_preload_libraries" in m for m in caplog.messages)


def test_the_machines_server_without_timescaledb(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        choice = choose_layout(read_catalogue(conn))  # the dev machine: not installed
    engine.dispose()
    caplog.set_level(logging.INFO, logger="hub.db")
    migrate(pg_url)
    assert f"hub storage: events table {choice.layout}: {choice.reason}" in caplog.messages
