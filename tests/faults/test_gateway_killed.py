"""(a) The gateway is SIGKILLed mid-burst and restarted, twice.

Checkouts in flight at the kill either were durable (the till re-sends, the outbox knows
the receipt and answers 202 without storing it again) or were not (the re-send stores
it). Batches sent but unacked are re-sent by the restarted gateway; the hub keys on
(gateway, epoch, seq). The hub must end with exactly the N checkouts."""

from tests.faults.conftest import BrokerAddress
from tests.faults.rig import FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults


def test_gateway_sigkilled_mid_burst_twice(
    make_rig: RigFactory,
    broker: BrokerAddress,
    database_url: str,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig(broker.host, broker.port, database_url).start()
    receipts = rig.receipts(fault_settings.n_long)
    figures = Figures("gateway SIGKILL", len(receipts))

    retransmissions: list[int] = []  # POS re-sends each gateway process found already stored

    def kill_and_restart() -> None:
        retransmissions.append(rig.gateway.health()["pipeline"]["duplicates"])
        rig.gateway.kill()
        rig.gateway.start()

    faults = [(at, kill_and_restart) for at in fault_settings.kill_at]
    run_load_with_faults(rig, receipts, faults, figures)
    assert_exactly_once(rig, receipts, figures)
    assert rig.gateway.kills == len(faults)
    retransmissions.append(rig.gateway.health()["pipeline"]["duplicates"])
    figures.figures["pos_resends_found_stored"] = retransmissions
    figures.show()
    assert rig.close() == 0, "the outbox file is empty after a clean stop"
