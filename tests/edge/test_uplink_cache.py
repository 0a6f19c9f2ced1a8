"""Cache messages reach the gateway through a real broker: decoded off the event loop and
handed to it on the loop's thread; a bad one, and one over the gateway's max message
size, dead-lettered, and the ones after them still arrive."""

import asyncio
import threading
from pathlib import Path
from uuid import uuid4

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkConfig
from tests.edge.test_uplink import _status_of, _until
from tests.support.mosquitto import MosquittoBroker
from wire.codec import encode
from wire.message_size import MIN_MAX_MESSAGE_BYTES
from wire.messages import CacheDelta, Command, SnapshotPart

TOPIC = "sp/v1/gw/gw-1/cache"


def _snapshot(version: int, padding: int = 0) -> bytes:
    part = SnapshotPart(snapshot_id=uuid4(), part=1, parts=1)
    delta = CacheDelta(store_id="s", version=version, base_version=0, snapshot=part)
    raw = encode(delta)
    return raw if not padding else raw[:-1] + b" " * padding + b"}"  # JSON whitespace


def test_cache_messages_through_the_broker(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        received: list[tuple[int, int]] = []  # (version, thread)
        commands: list[Command] = []

        def on_delta(delta: CacheDelta) -> None:
            received.append((delta.version, threading.get_ident()))

        config = UplinkConfig(
            port=mosquitto.port, max_message_bytes=MIN_MAX_MESSAGE_BYTES, batch_max_bytes=65536
        )
        uplink = Uplink(config, outbox, _status_of(outbox), on_delta, commands.append)
        statuses: list[bytes] = []
        hub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub", protocol=mqtt.MQTTv5)
        hub.on_message = lambda _c, _u, message: statuses.append(bytes(message.payload))
        hub.connect("127.0.0.1", mosquitto.port)
        hub.subscribe("sp/v1/gw/gw-1/status", qos=1)
        hub.loop_start()
        try:
            await _until(lambda: hub.is_connected())
            await uplink.start()
            # Its status follows its SUBSCRIBE on one connection: once here, it listens.
            await _until(lambda: bool(statuses))
            hub.publish(TOPIC, b'{"schema_version": 1, "store_id": 5}', qos=1)
            hub.publish(TOPIC, _snapshot(7, padding=MIN_MAX_MESSAGE_BYTES), qos=1)  # too big
            hub.publish(TOPIC, _snapshot(8), qos=1)
            await _until(lambda: len(received) == 1)
        finally:
            hub.loop_stop()
            hub.disconnect()
            await uplink.stop()
        assert received == [(8, threading.get_ident())], "on the loop; the oversized one refused"
        reasons = [(source, reason.split(":")[0]) for source, reason, _raw in outbox.dead_letters()]
        assert reasons == [  # newest first
            (f"mqtt:{TOPIC}", "payload too large"),
            (f"mqtt:{TOPIC}", "invalid message"),
        ]
        assert uplink.counters["bad_messages"] == 2

    asyncio.run(scenario())
