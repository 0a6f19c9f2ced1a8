"""Steps every fault scenario shares: load with faults at set points, then the exact count."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from tests.faults.load import CheckoutLoad, LoadReport
from tests.faults.rig import FaultRig
from tests.support.processes import wait_for

Fault = Callable[[], None]


@dataclass
class Figures:
    """What a run measured, printed for docs/faults.md (`pytest -s` shows it)."""

    scenario: str
    n: int
    figures: dict[str, object] = field(default_factory=dict)

    def show(self) -> None:
        parts = ", ".join(f"{key}={value}" for key, value in self.figures.items())
        print(f"\nFAULT {self.scenario}: N={self.n}, {parts}")


def run_load_with_faults(
    rig: FaultRig,
    receipts: Sequence[str],
    faults: Sequence[tuple[float, Fault]],
    figures: Figures,
) -> LoadReport:
    """Post every receipt; when the accepted share reaches each fraction, inject its fault
    (the load keeps going meanwhile, but holds its last part until every fault has struck,
    so a slow fault cannot let the load finish before the next). Returns once every
    checkout got its 202."""
    settings = rig.settings
    last = max((fraction for fraction, _fault in faults), default=0.0)
    hold = int(len(receipts) * (last + (1 - last) / 2))
    load = CheckoutLoad(rig.gateway.url, rig.token, receipts, settings.concurrency)
    load.hold_from(hold).start()
    try:
        for index, (fraction, fault) in enumerate(faults):
            target = int(len(receipts) * fraction)
            wait_for(
                f"{target} checkouts accepted before fault #{index + 1}",
                lambda t=target: load.progress() >= t or load.done,  # type: ignore[misc]
                settings.drain_timeout_s,
                diagnostics=rig.diagnostics,
            )
            assert not load.done, f"the load finished before fault #{index + 1}; raise N"
            figures.figures[f"fault{index + 1}_at"] = load.progress()
            started = time.monotonic()
            fault()
            figures.figures[f"fault{index + 1}_s"] = round(time.monotonic() - started, 2)
        load.release()
        report = load.join(settings.drain_timeout_s)
    finally:
        load.stop()
    figures.figures.update(
        load_s=round(report.seconds, 1),
        requests=report.requests,
        resent=report.resent,
        resend_reasons=dict(report.resends),
    )
    return report


def assert_exactly_once(rig: FaultRig, receipts: Sequence[str], figures: Figures) -> None:
    """The hub holds each receipt's checkout event and purchase exactly once, nothing
    else for this gateway's run, and the gateway's outbox is empty."""
    figures.figures["drain_s"] = round(rig.drained(len(receipts)), 1)
    figures.figures["projection_catch_up_s"] = round(rig.projected(len(receipts)), 1)
    health = rig.gateway.health()
    held = rig.ledger.holdings()
    expected = set(receipts)
    twice = sorted(r for r, c in held.checkout_receipts.items() if c > 1)
    assert not twice, f"{len(twice)} receipts committed twice, e.g. {twice[:5]}"
    assert set(held.checkout_receipts) == expected, _difference(expected, held.checkout_receipts)
    assert sum(held.checkout_receipts.values()) == len(receipts)
    assert held.purchase_receipts == {r: 1 for r in receipts}, "purchases: exactly one each"
    assert held.dead_letters == 0, "nothing of this gateway was dead-lettered"
    assert health["outbox"]["depth"] == 0
    figures.figures.update(
        gateway_duplicates=health["outbox"]["duplicates"],
        uplink_events_sent=health["uplink_counters"]["events_sent"],
        hub_duplicates=hub_duplicates(rig),
        hub_checkouts=len(held.checkout_receipts),
    )


def hub_duplicates(rig: FaultRig) -> int | None:
    """Re-sent events the (current) hub process found already committed, from /metrics."""
    try:
        text = httpx.get(f"{rig.hub.api_url}/metrics", timeout=5.0).text
    except httpx.TransportError:
        return None
    for line in text.splitlines():
        if line.startswith('storepulse_hub_events_total{outcome="duplicate"}'):
            return int(float(line.split()[-1]))
    return 0


def _difference(expected: set[str], held: object) -> str:
    have = set(held)  # type: ignore[call-overload]
    missing, extra = sorted(expected - have), sorted(have - expected)
    return f"missing {len(missing)} (e.g. {missing[:5]}), unexpected {len(extra)} ({extra[:5]})"
