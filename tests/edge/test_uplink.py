import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkConfig
from tests.support.ack_hub import AckingHub
from tests.support.mosquitto import MosquittoBroker
from wire.codec import decode_status
from wire.events import CardTapped
from wire.messages import CacheDelta, Command, GatewayStatus, Refusal


def _status_of(outbox: Outbox) -> Callable[[Literal["online", "offline"]], GatewayStatus]:
    def status(state: Literal["online", "offline"]) -> GatewayStatus:
        return GatewayStatus(
            gateway_id=outbox.gateway_id, state=state, outbox_depth=outbox.stats().depth
        )

    return status


def _fill(outbox: Outbox, count: int) -> None:
    now = datetime.now(UTC)
    taps = [(CardTapped(uid=f"{i:08X}", technology="T", reader="r"), now) for i in range(count)]
    for start in range(0, count, 500):
        outbox.append_many(taps[start : start + 500])


async def _until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


def _uplink(outbox: Outbox, port: int, **config: object) -> Uplink:
    deltas: list[CacheDelta] = []
    commands: list[Command] = []
    return Uplink(
        UplinkConfig(port=port, reconnect_min=1, reconnect_max=1, **config),  # type: ignore[arg-type]
        outbox,
        _status_of(outbox),
        deltas.append,
        commands.append,
    )


def test_events_are_deleted_only_after_the_hubs_ack(
    tmp_path: Path, mosquitto: MosquittoBroker
) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        _fill(outbox, 2000)
        silent_hub = AckingHub(mosquitto.port, ack=False).start()
        uplink = _uplink(outbox, mosquitto.port, ack_timeout=0.5, window=10)
        await uplink.start()
        await _until(lambda: len(silent_hub.distinct()) == 2000)
        assert outbox.stats().depth == 2000, "no ack, nothing deleted"
        silent_hub.stop()

        hub = AckingHub(mosquitto.port).start()
        await _until(lambda: outbox.stats().depth == 0)
        await uplink.stop()
        # The broker forwards the offline status after its PUBACK: wait for it to arrive.
        await _until(lambda: any(decode_status(raw).state == "offline" for raw in hub.statuses))
        hub.stop()
        assert hub.distinct() == {(outbox.epoch, seq) for seq in range(1, 2001)}
        statuses = [decode_status(raw) for raw in silent_hub.statuses + hub.statuses]
        assert statuses and statuses[0].state == "online"
        assert statuses[-1].state == "offline", "a clean stop publishes offline"

    asyncio.run(scenario())


def test_events_the_hub_refuses_are_deleted_counted_and_logged(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> Uplink:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        _fill(outbox, 20)
        hub = AckingHub(mosquitto.port, refuse=frozenset({5, 6, 12})).start()
        uplink = _uplink(outbox, mosquitto.port, batch_max_events=10)
        await uplink.start()
        await _until(lambda: outbox.stats().depth == 0)  # settled: nothing to re-send
        await uplink.stop()
        hub.stop()
        return uplink

    with caplog.at_level(logging.WARNING, logger="edge.uplink"):
        uplink = asyncio.run(scenario())
    assert uplink.counters["refused_by_hub"] == 3
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [
        "uplink: the hub refused 2 events (seqs 5-6); its dead letters keep them",
        "uplink: the hub refused 1 events (seqs 12); its dead letters keep them",
    ]


@pytest.mark.parametrize(
    "refusal",
    [
        Refusal(reason="invalid json", detail="Expecting value: line 1 column 1"),  # no epoch
        Refusal(reason="invalid message", detail="events: List should have at least 1 item"),
    ],
    ids=["without-epoch", "with-our-epoch"],
)
def test_a_payload_the_hub_refuses_whole_deletes_nothing_and_is_counted(
    tmp_path: Path, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture, refusal: Refusal
) -> None:
    async def scenario() -> Uplink:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        _fill(outbox, 20)
        refusing = AckingHub(mosquitto.port, refuse_whole=refusal).start()
        uplink = _uplink(outbox, mosquitto.port, batch_max_events=10, ack_timeout=0.5)
        await uplink.start()
        await _until(lambda: uplink.counters["payloads_refused"] >= 4)  # re-sent, refused again
        assert outbox.stats().depth == 20, "a refusal without seqs deletes nothing"
        refusing.stop()
        hub = AckingHub(mosquitto.port).start()
        await _until(lambda: outbox.stats().depth == 0)  # the events were kept to send again
        await uplink.stop()
        hub.stop()
        return uplink

    with caplog.at_level(logging.WARNING, logger="edge.uplink"):
        uplink = asyncio.run(scenario())
    assert uplink.counters["refused_by_hub"] == 0
    logged = [r.getMessage() for r in caplog.records if "refused a payload" in r.getMessage()]
    assert logged and all(refusal.reason in line for line in logged)
    assert all("nothing deleted" in line for line in logged)


def test_broker_killed_mid_burst_loses_nothing(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        hub = AckingHub(mosquitto.port).start()
        uplink = _uplink(outbox, mosquitto.port)
        await uplink.start()
        _fill(outbox, 3000)
        uplink.wake()
        await _until(lambda: len(hub.distinct()) > 200)
        mosquitto.kill()
        _fill(outbox, 2000)  # captured while the broker is down
        uplink.wake()
        mosquitto.start()
        await _until(lambda: outbox.stats().depth == 0, timeout=60)
        await uplink.stop()
        hub.stop()
        expected = {(outbox.epoch, seq) for seq in range(1, 5001)}
        assert hub.distinct() == expected

    asyncio.run(scenario())
