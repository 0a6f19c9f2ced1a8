"""Fixtures of the fault tests: settings from the environment, a broker, a database.

By default every broker and database is private to the tests (Mosquitto per test, one
PostgreSQL cluster per session). STOREPULSE_FAULT_MQTT=host:port and STOREPULSE_TEST_PG
point the scenarios that never kill them at servers the tests did not start.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.rig import FaultRig, FaultSettings, RigFactory
from tests.support.mosquitto import MosquittoBroker
from tests.support.pg_cluster import PrivatePostgres, scratch_name
from tests.support.postgres import postgres_available, scratch_database


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    private: MosquittoBroker | None  # None: an external broker, never killed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fault tests are slow; their time limit grows with the N and outage asked for."""
    settings = FaultSettings.from_env()
    for item in items:
        if "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.timeout(settings.test_timeout_s))


@pytest.fixture(scope="session")
def fault_settings() -> FaultSettings:
    return FaultSettings.from_env()


@pytest.fixture(scope="session")
def session_cluster(fault_settings: FaultSettings) -> Iterator[PrivatePostgres | None]:
    if fault_settings.external_pg:
        yield None
        return
    cluster = PrivatePostgres().start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def database_url(session_cluster: PrivatePostgres | None) -> Iterator[str]:
    """A fresh database: in the session's private cluster, or on STOREPULSE_TEST_PG."""
    if session_cluster is not None:
        yield session_cluster.create_database(scratch_name())
        return
    if not postgres_available():
        pytest.fail("STOREPULSE_TEST_PG is set but that server is not reachable")
    with scratch_database() as url:
        yield url


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(tmp_path / "broker").start()
    yield broker
    broker.stop()


@pytest.fixture
def broker(fault_settings: FaultSettings, tmp_path: Path) -> Iterator[BrokerAddress]:
    """The broker of scenarios that do not kill it: external when configured."""
    if fault_settings.mqtt is not None:
        host, port = fault_settings.mqtt
        yield BrokerAddress(host, port, None)
        return
    private = MosquittoBroker(tmp_path / "broker").start()
    yield BrokerAddress("127.0.0.1", private.port, private)
    private.stop()


@pytest.fixture
def make_rig(tmp_path: Path, fault_settings: FaultSettings) -> Iterator[RigFactory]:
    rigs: list[FaultRig] = []

    def make(
        host: str,
        port: int,
        database_url: str,
        hub: dict[str, str] | None = None,
        **outbox: object,
    ) -> FaultRig:
        workdir = tmp_path / f"store{len(rigs)}"
        rig = FaultRig(
            workdir, fault_settings, host, port, database_url, dict(outbox), dict(hub or {})
        )
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
