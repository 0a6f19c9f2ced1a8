"""(d) PostgreSQL is stopped (immediate: no checkpoint, crash recovery on start) mid-burst
and started again. A private cluster, so the shared server is never touched.

While it is away the hub's commits fail with StorageError and are not acked; the gateway
re-sends after its ack timeout; the hub's pool (pool_pre_ping) reconnects once it is back.
The outage lasts until the hub has logged a failed commit, so the path is exercised."""

import time
from collections.abc import Iterator

import pytest

from tests.faults.conftest import BrokerAddress
from tests.faults.rig import FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults
from tests.support.pg_cluster import PrivatePostgres, scratch_name
from tests.support.processes import wait_for

STORAGE_FAILED = "storage failed, not acked"


@pytest.fixture
def own_cluster() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres().start()
    yield cluster
    cluster.destroy()


def test_postgres_restarted_mid_burst(
    make_rig: RigFactory,
    broker: BrokerAddress,
    own_cluster: PrivatePostgres,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig(broker.host, broker.port, own_cluster.create_database(scratch_name()))
    rig.start()
    receipts = rig.receipts(fault_settings.n_short)
    figures = Figures("PostgreSQL restart", len(receipts))
    outages: list[float] = []

    def restart() -> None:
        failures = rig.hub.log_tail(10**7).count(STORAGE_FAILED)
        own_cluster.stop("immediate")
        down = time.monotonic()
        wait_for(
            "the hub failing a commit while PostgreSQL is down",
            lambda: (
                rig.hub.log_tail(10**7).count(STORAGE_FAILED) > failures
                and time.monotonic() - down >= fault_settings.pg_down_s
            ),
            60,
            diagnostics=rig.diagnostics,
        )
        own_cluster.start()
        outages.append(round(time.monotonic() - down, 1))

    faults = [(at, restart) for at in fault_settings.kill_at]
    run_load_with_faults(rig, receipts, faults, figures)
    assert_exactly_once(rig, receipts, figures)
    assert rig.hub.alive(), "the hub rode through the restart without being restarted"
    figures.figures.update(
        pg_down_s=outages, hub_storage_errors=rig.hub.log_tail(10**7).count(STORAGE_FAILED)
    )
    figures.show()
    assert rig.close() == 0
