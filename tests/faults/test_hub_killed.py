"""(c) The hub's ingest process is SIGKILLed mid-burst and restarted.

Batches it had taken from the broker but not committed are lost with it; it never acked
them, so the gateway re-sends them after its ack timeout. Batches it had committed but
not acked are re-sent too and found as duplicates."""

from tests.faults.conftest import BrokerAddress
from tests.faults.rig import FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults


def test_hub_sigkilled_mid_burst_and_restarted(
    make_rig: RigFactory,
    broker: BrokerAddress,
    database_url: str,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig(broker.host, broker.port, database_url).start()
    receipts = rig.receipts(fault_settings.n_short)
    figures = Figures("hub SIGKILL", len(receipts))

    def kill_and_restart() -> None:
        rig.hub.kill()
        rig.hub.start()

    faults = [(at, kill_and_restart) for at in fault_settings.kill_at]
    run_load_with_faults(rig, receipts, faults, figures)
    assert_exactly_once(rig, receipts, figures)
    assert rig.hub.kills == len(faults)
    figures.show()
    assert rig.close() == 0
