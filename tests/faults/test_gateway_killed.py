"""(a) The gateway is SIGKILLed mid-burst and restarted, twice.

Checkouts in flight at the kill either were durable (the till re-sends, the outbox knows
the receipt and answers 202 without storing it again) or were not (the re-send stores
it). Batches sent but unacked are re-sent by the restarted gateway; the hub keys on
(gateway, epoch, seq). The hub must end with exactly the N checkouts."""

import sqlite3
import threading
from contextlib import closing
from functools import partial
from pathlib import Path

import httpx

from tests.faults.conftest import BrokerAddress
from tests.faults.load import checkout_body
from tests.faults.rig import FaultRig, FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults
from tests.support.processes import wait_for


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


def _key_stored(outbox: Path, key: str) -> bool:
    with closing(sqlite3.connect(outbox, timeout=5)) as db:
        return db.execute("SELECT 1 FROM dedupe_keys WHERE key = ?", (key,)).fetchone() is not None


def _post(rig: FaultRig, receipt: str) -> int | None:
    try:
        response = httpx.post(
            f"{rig.gateway.url}/pos/checkout",
            json=checkout_body(receipt),
            headers={"Authorization": f"Bearer {rig.token}"},
            timeout=10.0,
        )
    except httpx.TransportError:
        return None
    return response.status_code


def test_a_checkout_durable_at_the_kill_is_answered_again_not_stored_again(
    make_rig: RigFactory, broker: BrokerAddress, database_url: str
) -> None:
    """The exact case of the till: the gateway dies once the checkout is durable, before
    (or just after) its 202. The till never saw an answer it trusts and re-sends. Each
    kill here waits until the checkout's key is in the outbox file, so every re-send is a
    retransmission of a stored checkout, deterministically."""
    rig = make_rig(broker.host, broker.port, database_url).start()
    receipts = rig.receipts(5)
    outbox = rig.workdir / "gateway" / "data" / "outbox.sqlite3"
    figures = Figures("gateway SIGKILL after durable", len(receipts))
    for receipt in receipts:
        first = threading.Thread(target=_post, args=(rig, receipt))
        first.start()
        key = f"pos:T1:{receipt}"
        wait_for(f"{receipt} durable", partial(_key_stored, outbox, key), 10, 0.001)
        rig.gateway.kill()
        first.join(15)
        rig.gateway.start()
        assert _post(rig, receipt) == 202, "the re-send of a stored checkout is accepted"
        assert rig.gateway.health()["pipeline"]["duplicates"] == 1, "and not stored again"
    assert_exactly_once(rig, receipts, figures)
    figures.show()
    assert rig.close() == 0
