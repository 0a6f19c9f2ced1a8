"""A store of 100,000 cached customers through the shipped broker config (1 MiB max
message): the hub builds its snapshot in parts that fit, stays connected and keeps
committing batches while it goes out; the real gateway stages the parts and swaps all
100,000 in at once. A flood of statuses asking for snapshots makes one.

Before the parts, the hub published one 3.5 MiB message, Mosquitto dropped it for an
oversize packet, and paho sent it again on every reconnect: nothing else got through.
"""

import asyncio
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from edge.config import parse_config
from edge.gateway import Gateway
from hub import metrics
from hub.db.models import RawEvent
from hub.runtime import HubRuntime
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker
from tests.support.big_store import add_customers, card_uid
from wire.codec import decode_cache_delta
from wire.events import CardTapped
from wire.identity import Identifier, IdentifierKind

BIG_STORE, BIG_GATEWAY = "store-sh-jingan", "gw-demo-2"
SMALL_GATEWAY = "gw-demo-1"  # store-sh-xuhui, the demo's ten customers
CUSTOMERS = 100_000
SEEDED = 10
pytestmark = pytest.mark.slow


@asynccontextmanager
async def _hub(broker: SecuredBroker, database_url: str, key: str) -> AsyncIterator[HubRuntime]:
    hub = HubRuntime(broker.hub_settings(database_url, key), seed_demo_data=True)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


def _gateway(broker: SecuredBroker, workdir: Path, key: str) -> Gateway:
    config = parse_config(
        {
            "gateway": {
                "id": BIG_GATEWAY,
                "store_id": BIG_STORE,
                "data_dir": str(workdir),
                "tenant_key": key,
            },
            "mqtt": {
                "host": "127.0.0.1",
                "port": broker.layout.gateway_port,
                "username": BIG_GATEWAY,
                "password": broker.passwords[BIG_GATEWAY],
                "tls_ca": str(broker.ca.cert_path),
                "status_interval": 5.0,
            },
            "store_page": {"port": 0},
        }
    )
    return Gateway(config)


async def _until(what: str, predicate: Callable[[], bool], timeout: float) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.02)
    return time.monotonic()


def _committed(hub: HubRuntime, gateway_id: str) -> int:
    assert hub.sessions is not None
    with hub.sessions() as session:
        stmt = select(func.count()).select_from(RawEvent).where(RawEvent.gateway_id == gateway_id)
        return int(session.execute(stmt).scalar_one())


def _tap_batch(gateway: Gateway, start: int) -> None:
    now = datetime.now(UTC)
    taps = [CardTapped(uid=f"C0FFEE{start + n:06X}", technology="T", reader="r") for n in range(20)]
    gateway.outbox.append_many([(tap, now) for tap in taps])
    gateway.uplink.wake()


@pytest.mark.timeout(900)
def test_a_store_of_100k_customers_gets_its_whole_snapshot(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broker = SecuredBroker.prepare(tmp_path / "broker", (BIG_GATEWAY, SMALL_GATEWAY)).start()
    key = secrets.token_urlsafe(24)
    timings: dict[str, float] = {}

    served = metrics.CACHE_SNAPSHOT_REQUESTS.labels("served")
    before = served._value.get()

    async def scenario() -> None:
        async with _hub(broker, pg_url, key) as hub:
            assert hub.engine is not None and hub.consumer is not None
            await asyncio.to_thread(add_customers, hub.engine, BIG_STORE, CUSTOMERS)
            gateway = _gateway(broker, tmp_path / "gateway", key)
            started = time.monotonic()
            await gateway.start()
            try:
                await _assemble(hub, gateway, started, timings)
                await _keeps_committing(hub, gateway)
                url = f"http://127.0.0.1:{hub.api_port}/healthz"
                health = (await asyncio.to_thread(httpx.get, url, timeout=10)).json()
            finally:
                await gateway.stop()
            assert health["status"] == "ok"
            assert health["mqtt"]["connected"] and health["mqtt"]["disconnects"] == 0
            assert hub.consumer.disconnects == 0, "the broker never dropped the hub"
            assert hub.consumer.snapshots is not None
            sent = hub.consumer.snapshots.last_sent
            assert sent is not None and sent.customers == CUSTOMERS + SEEDED
            timings.update(hub_read=sent.read_seconds, hub_send=sent.send_seconds)
            timings.update(parts=sent.parts, mib=sent.payload_bytes / 2**20)
            # Its statuses while the hub read (cache_version 0) asked for this one snapshot.
            assert served._value.get() - before == 1

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()
    with capsys.disabled():
        print(f"\n100k snapshot: {json.dumps({k: round(v, 2) for k, v in timings.items()})}")


async def _assemble(
    hub: HubRuntime, gateway: Gateway, started: float, timings: dict[str, float]
) -> None:
    """Until all of the store is in the gateway's cache; batches go on meanwhile."""
    first_part = await _until("a first part", lambda: gateway.follower.assembling is not None, 120)
    timings["to first part"] = first_part - started
    _tap_batch(gateway, 0)  # while the parts arrive
    swapped = await _until(
        "the whole store in the cache", lambda: gateway.follower.counters["snapshots"] == 1, 300
    )
    timings["first part to swapped in"] = swapped - first_part
    # The batch's new customers come as a delta: held while assembling, applied after.
    # Wait for all of them: counting them while the delta lands raced the cache's size.
    taps = [Identifier(kind=IdentifierKind.CARD_UID, value=f"C0FFEE{n:06X}") for n in range(20)]
    await _until(
        "the batch's customers", lambda: all(gateway.cache.lookup(t) is not None for t in taps), 60
    )
    assert len(gateway.cache) == CUSTOMERS + SEEDED + len(taps)
    assert gateway.cache.lookup(Identifier(kind=IdentifierKind.CARD_UID, value=card_uid(99_999)))
    assert gateway.follower.counters["stalled"] == 0
    assert gateway.follower.counters["abandoned"] == 0


async def _keeps_committing(hub: HubRuntime, gateway: Gateway) -> None:
    for n in range(1, 4):  # the "0 of 3 later batches were committed"
        _tap_batch(gateway, 1000 * n)
    await _until("4 batches committed", lambda: _committed(hub, BIG_GATEWAY) == 80, 60)
    await _until("the outbox drained", lambda: gateway.outbox.stats().depth == 0, 30)


def _status(gateway_id: str) -> bytes:
    status = {"schema_version": 1, "gateway_id": gateway_id, "state": "online", "cache_version": 0}
    return json.dumps(status).encode()


def _batch(gateway_id: str, epoch: str, seq: int) -> bytes:
    event = {
        "schema_version": 1,
        "event_id": str(uuid.uuid4()),
        "gateway_id": gateway_id,
        "seq": seq,
        "occurred_at": datetime.now(UTC).isoformat(),
        "type": "card.tapped",
        "body": {"uid": f"04A1B2C3D4{seq:04X}", "technology": "Type2Tag", "reader": "nfc0"},
    }
    batch = {
        "schema_version": 1,
        "gateway_id": gateway_id,
        "epoch": epoch,
        "sent_at": datetime.now(UTC).isoformat(),
        "events": [event],
    }
    return json.dumps(batch).encode()


def test_a_flood_of_snapshot_requests_makes_one_snapshot(tmp_path: Path, pg_url: str) -> None:
    broker = SecuredBroker.prepare(tmp_path / "broker", (SMALL_GATEWAY,)).start()
    gw = f"sp/v1/gw/{SMALL_GATEWAY}"

    async def scenario() -> None:
        async with _hub(broker, pg_url, secrets.token_urlsafe(24)) as hub:
            assert hub.consumer is not None and hub.consumer.snapshots is not None
            snapshots = hub.consumer.snapshots
            probe = Probe(
                broker.layout.gateway_port,
                SMALL_GATEWAY,
                broker.passwords[SMALL_GATEWAY],
                broker.ca.cert_path,
            )
            probe.connect()
            try:
                await asyncio.to_thread(_flood, probe, gw, snapshots.waiting)
            finally:
                probe.close()
            ids = _snapshot_ids(probe, gw)
            assert len(ids) == 1, "500 statuses asking for a snapshot: one snapshot"
            assert snapshots.waiting() == {SMALL_GATEWAY: 0}, "the rest wait out the interval"
            assert hub.consumer.disconnects == 0

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()


def _flood(probe: Probe, gw: str, waiting: Callable[[], dict[str, int]]) -> None:
    probe.subscribe(f"{gw}/#")
    for _ in range(500):
        assert not probe.publish(f"{gw}/status", _status(SMALL_GATEWAY)).is_failure
    epoch = str(uuid.uuid4())
    probe.publish(f"{gw}/events", _batch(SMALL_GATEWAY, epoch, 1))  # ingest goes on
    wait_for(lambda: f"{gw}/ack" in probe.topics() and bool(_snapshot_ids(probe, gw)), 30)
    wait_for(lambda: bool(waiting()), 30)  # the flood's tail is held, not served


def _snapshot_ids(probe: Probe, gw: str) -> set[str]:
    """Of the cache messages, the snapshots' (the tap's new customer comes as a delta)."""
    cache = [decode_cache_delta(p) for t, p in list(probe.messages) if t == f"{gw}/cache"]
    return {str(m.snapshot.snapshot_id) for m in cache if m.snapshot is not None}
