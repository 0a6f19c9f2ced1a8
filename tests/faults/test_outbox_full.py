"""(f) The outbox's disk budget is full: what is kept, what is refused, how it is reported.

A gateway with a 1 MiB budget (the smallest the config allows) and no broker. Checkouts
by a member (each also makes a `prompt.shown`) are accepted until the budget: above 90 %
`prompt.shown` is refused first, at 100 % the hook answers 503 with Retry-After. Nothing
stored is lost, /healthz counts the refusals, a re-sent stored checkout is still 202.
When the broker and the hub come back the outbox drains, the hook accepts again, and
every checkout reaches the hub exactly once."""

import httpx

from tests.faults.load import CheckoutLoad, checkout_body
from tests.faults.rig import DEMO_CARD, FaultRig, FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once
from tests.support.mosquitto import MosquittoBroker
from tests.support.net import free_port

BUDGET = 1024 * 1024
REFUSALS = 5  # 503s to see before the broker comes back


def _post(client: httpx.Client, rig: FaultRig, receipt: str) -> httpx.Response:
    return client.post(
        f"{rig.gateway.url}/pos/checkout",
        json=checkout_body(receipt, DEMO_CARD),
        headers={"Authorization": f"Bearer {rig.token}"},
    )


def _fill(rig: FaultRig, receipts: list[str]) -> tuple[list[str], list[str], dict[str, int]]:
    """Post until REFUSALS 503s; (accepted, refused, refusals seen at the first 503)."""
    accepted: list[str] = []
    refused: list[str] = []
    at_first: dict[str, int] = {}
    with httpx.Client(timeout=10.0) as client:
        for receipt in receipts:
            response = _post(client, rig, receipt)
            if response.status_code == 202:
                assert not refused, "once full, the outbox stays full until the hub acks"
                accepted.append(receipt)
                continue
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) > 0
            if not refused:
                at_first = dict(rig.gateway.health()["outbox"]["refused"])
            refused.append(receipt)
            if len(refused) == REFUSALS:
                again = _post(client, rig, accepted[0])
                assert again.status_code == 202, "a re-sent stored checkout is still accepted"
                break
    assert len(refused) == REFUSALS, f"the budget was never reached in {len(receipts)} posts"
    return accepted, refused, at_first


def test_full_outbox_refuses_then_recovers_and_loses_nothing(
    make_rig: RigFactory, database_url: str, fault_settings: FaultSettings
) -> None:
    port = free_port()  # the broker's, started only later
    rig = make_rig("127.0.0.1", port, database_url, max_bytes=BUDGET, low_priority_ratio=0.9)
    rig.start(hub=False)
    receipts = rig.receipts(5000)
    accepted, refused, at_first = _fill(rig, receipts)

    health = rig.gateway.health()
    outbox, prompts = health["outbox"], health["pipeline"]["prompts"]
    assert at_first.get("prompt.shown", 0) > 0, "low priority was refused before any checkout"
    assert at_first.get("pos.checkout") == 1
    assert outbox["refused"]["pos.checkout"] == REFUSALS, "/healthz reports the refusals"
    assert prompts == len(accepted) + REFUSALS, "the clerk saw every prompt, refused or not"
    stored_prompts = prompts - outbox["refused"]["prompt.shown"]
    assert outbox["depth"] == len(accepted) + stored_prompts, "everything stored is kept"
    assert BUDGET * 0.98 < outbox["bytes"] <= BUDGET

    figures = Figures("outbox full", len(accepted) + REFUSALS)
    figures.figures.update(
        accepted_until_full=len(accepted),
        refused_at_full=dict(outbox["refused"]),
        bytes_at_full=outbox["bytes"],
    )
    broker = MosquittoBroker(rig.workdir / "broker", port=port).start()
    try:
        rig.hub.start()
        figures.figures["drain_s"] = round(rig.drained(len(accepted)), 1)
        resend = CheckoutLoad(rig.gateway.url, rig.token, refused, concurrency=2).start()
        resend.join(60)  # the hook accepts again
        everything = accepted + refused
        assert_exactly_once(rig, everything, figures)
        final = rig.gateway.health()
        shown = final["pipeline"]["prompts"] - final["outbox"]["refused"]["prompt.shown"]
        assert rig.ledger.holdings().prompts_shown == shown, "every stored prompt.shown arrived"
        figures.n = len(everything)
        figures.show()
    finally:
        assert rig.close() == 0
        broker.stop()
