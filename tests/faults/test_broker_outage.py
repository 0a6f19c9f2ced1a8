"""(e) A long broker outage while the store keeps selling.

The broker is stopped for STOREPULSE_FAULT_OUTAGE_S (20 s by default) in the middle of
the load. Meanwhile checkouts keep being accepted (202: durable in the outbox) and a
checkout by a cached member still puts a prompt on the store page at once, composed from
the gateway's cache. When the broker is back, everything drains to the hub exactly once.
"""

import time

import httpx

from tests.faults.load import checkout_body
from tests.faults.rig import DEMO_CARD, FaultRig, FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults
from tests.support.mosquitto import MosquittoBroker
from tests.support.processes import wait_for

PROBES = 4  # cached-member checkouts during the outage, part of the N


def _sleep_until(moment: float) -> None:
    """The outage's own schedule (its length is the fault), not a wait for a condition."""
    time.sleep(max(0.0, moment - time.monotonic()))


def _probe(rig: FaultRig, receipt: str) -> float:
    """A checkout by the demo member; the seconds until its prompt is on the page."""
    device = rig.device_headers()  # paired (once) before the clock starts
    started = time.monotonic()
    response = httpx.post(
        f"{rig.gateway.url}/pos/checkout",
        json=checkout_body(receipt, DEMO_CARD),
        headers={"Authorization": f"Bearer {rig.token}"},
        timeout=10.0,
    )
    assert response.status_code == 202, response.text
    prompts = httpx.get(f"{rig.gateway.url}/prompts/recent", headers=device, timeout=5.0).json()
    mine = [
        p
        for p in prompts
        if p["last_purchases"] and p["last_purchases"][0]["receipt_no"] == receipt
    ]
    assert mine, f"no prompt for {receipt} on the store page"
    assert mine[0]["customer_id"] == "cus-demo-01", "the prompt knows the member (from the cache)"
    assert mine[0]["display_name"] == "王*"
    return time.monotonic() - started


def test_long_broker_outage_keeps_capturing_and_prompting(
    make_rig: RigFactory,
    private_broker: MosquittoBroker,
    database_url: str,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig("127.0.0.1", private_broker.port, database_url).start()
    rig.wait_cache()
    rig.device_headers()  # the page's reader is paired before the outage
    receipts = rig.receipts(fault_settings.n_long)
    load_receipts, probe_receipts = receipts[:-PROBES], receipts[-PROBES:]
    figures = Figures("broker outage", len(receipts))
    seen: dict[str, object] = {}

    def outage() -> None:
        private_broker.stop()
        began, before = time.monotonic(), rig.gateway.health()
        wait_for(
            "the gateway noticing the outage",
            lambda: rig.gateway.health()["uplink"] == "disconnected",
            30,
        )
        latencies = []
        for index, receipt in enumerate(probe_receipts):
            _sleep_until(began + fault_settings.outage_s * (index + 1) / (PROBES + 1))
            latencies.append(round(_probe(rig, receipt) * 1000, 1))
            assert rig.gateway.health()["uplink"] == "disconnected", "still in the outage"
        wait_for(
            "the outage's end", lambda: time.monotonic() - began >= fault_settings.outage_s, 600
        )
        during = rig.gateway.health()
        seen.update(
            # the gateway has no readers: its observations are the hook's checkouts
            load_accepted_during=during["pipeline"]["observations"]
            - before["pipeline"]["observations"]
            - PROBES,
            depth_at_end=during["outbox"]["depth"],
            prompt_ms=latencies,
        )
        private_broker.start()

    run_load_with_faults(rig, load_receipts, [(fault_settings.kill_at[0], outage)], figures)
    assert int(seen["load_accepted_during"]) > 0, "checkouts kept being accepted"  # type: ignore[call-overload]
    assert int(seen["depth_at_end"]) > 0, "and were held in the outbox"  # type: ignore[call-overload]
    figures.figures.update(outage_s=fault_settings.outage_s, **seen)
    assert_exactly_once(rig, receipts, figures)
    figures.show()
    assert rig.close() == 0
