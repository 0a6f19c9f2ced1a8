from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.db.embedded import EmbeddedPostgres
from tests.support.embedded_pg import embedded_server
from tests.support.mosquitto import MosquittoBroker
from tests.support.pcscd import forget_own_pcscd, use_own_pcscd
from tests.support.postgres import postgres_available, scratch_database


def pytest_configure(config: pytest.Config) -> None:
    use_own_pcscd()  # before anything uses pyscard: a run sees only its own cards


def pytest_unconfigure(config: pytest.Config) -> None:
    forget_own_pcscd()


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
