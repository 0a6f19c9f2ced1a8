from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.db.embedded import EmbeddedPostgres
from tests.support.embedded_pg import embedded_server
from tests.support.mosquitto import MosquittoBroker
from tests.support.pcscd import forget_own_pcscd, use_own_pcscd
from tests.support.postgres import postgres_available, scratch_database, test_server_has_timescale


def pytest_configure(config: pytest.Config) -> None:
    use_own_pcscd()  # before anything uses pyscard: a run sees only its own cards


def pytest_unconfigure(config: pytest.Config) -> None:
    forget_own_pcscd()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `timescale` run only where TimescaleDB is: on STOREPULSE_TEST_PG when
    that server preloads it (never on the embedded 18). TimescaleDB is not in the package
    registries, so a plain run leaves them out, says so, and does not count them as passed
    or skipped (docs/hub-storage.md: how to run them against a build of it)."""
    marked = [i for i in items if i.get_closest_marker("timescale")]
    if not marked:
        return
    here = test_server_has_timescale()
    out = [i for i in marked if not here or "embedded-18" in i.name]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [i for i in items if i not in out]
        config.stash[_TIMESCALE_OUT] = len(out)


_TIMESCALE_OUT = pytest.StashKey[int]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    left_out = config.stash.get(_TIMESCALE_OUT, 0)
    if left_out:
        terminalreporter.write_line(
            f"{left_out} TimescaleDB tests not run: no TimescaleDB on this server "
            "(docs/hub-storage.md says how to run them)"
        )


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A private broker on a free loopback port, anonymous, for this test only."""
    broker = MosquittoBroker(tmp_path / "broker").start()
    yield broker
    broker.stop()


@pytest.fixture
def db_url(pg_url: str) -> str:
    """Hub storage: a scratch PostgreSQL database (the hub runs on nothing else)."""
    return pg_url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test. Fails (never skips) when there is no server:
    `make test` starts one."""
    if not postgres_available():
        pytest.fail("PostgreSQL is not reachable; `make test` runs deploy/dev/services.sh")
    with scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def embedded_pg() -> Iterator[EmbeddedPostgres]:
    """One embedded PostgreSQL 18 (the hub's own server) for the whole run."""
    with embedded_server() as server:
        yield server


@pytest.fixture(params=["test-server", "embedded-18"])
def pg_url_each_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database on each server the hub supports that the run has: STOREPULSE_TEST_PG's
    (PostgreSQL 15 here) and the embedded 18. For the storage tests."""
    if request.param == "test-server":
        yield request.getfixturevalue("pg_url")
        return
    server: EmbeddedPostgres = request.getfixturevalue("embedded_pg")
    with scratch_database(server.conninfo(), server.url_of) as url:
        yield url
