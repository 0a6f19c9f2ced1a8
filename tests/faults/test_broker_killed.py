"""(b) The broker is SIGKILLed mid-burst and restarted on the same port.

It keeps nothing (`persistence false`): every batch it held is gone. The gateway keeps
its events until the hub acks them, so on reconnect it rewinds and re-sends; the hub
commits each (gateway, epoch, seq) once."""

from tests.faults.rig import FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults
from tests.support.mosquitto import MosquittoBroker


def test_broker_sigkilled_mid_burst_and_restarted(
    make_rig: RigFactory,
    private_broker: MosquittoBroker,
    database_url: str,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig("127.0.0.1", private_broker.port, database_url).start()
    receipts = rig.receipts(fault_settings.n_short)
    figures = Figures("broker SIGKILL", len(receipts))

    def kill_and_restart() -> None:
        private_broker.kill()
        private_broker.start()  # same port, empty: whatever it held is lost

    faults = [(at, kill_and_restart) for at in fault_settings.kill_at]
    run_load_with_faults(rig, receipts, faults, figures)
    assert_exactly_once(rig, receipts, figures)
    figures.show()
    assert rig.close() == 0
