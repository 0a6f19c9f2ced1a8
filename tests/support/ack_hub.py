"""A minimal stand-in for the hub's ingest, speaking only the wire contract: it records
every (epoch, seq) it receives and acks each batch (the seqs in `refuse` as dead-lettered,
as the hub does with an event it refuses alone; or every batch refused whole, with
`refuse_whole`). For edge tests that need no database."""

import ssl
import threading
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import paho.mqtt.client as mqtt

from hub.ingest.seq_ranges import compress
from wire.codec import decode_batch, encode
from wire.messages import Ack, Refusal
from wire.topics import Channel, hub_subscription, parse_topic, topic


class AckingHub:
    def __init__(
        self,
        port: int,
        ack: bool = True,
        *,
        username: str | None = None,
        password: str | None = None,
        tls_ca: Path | None = None,
        refuse: frozenset[int] = frozenset(),
        refuse_whole: Refusal | None = None,
    ) -> None:
        self.port = port
        self.ack = ack
        self.refuse = refuse  # seqs acked as dead-lettered, as the hub does with bad events
        self.refuse_whole = refuse_whole  # answer every batch so, as to an unreadable one
        self.received: Counter[tuple[UUID, int]] = Counter()
        self.statuses: list[bytes] = []
        self._lock = threading.Lock()
        self.subscribed = threading.Event()  # set once the broker has granted the filters
        self._client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id="test-hub", protocol=mqtt.MQTTv5
        )
        if username is not None:
            self._client.username_pw_set(username, password)
        if tls_ca is not None:
            self._client.tls_set(ca_certs=str(tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *_: self.subscribed.set()

    def start(self) -> "AckingHub":
        self._client.reconnect_delay_set(1, 1)
        self._client.connect_async("127.0.0.1", self.port)
        self._client.loop_start()
        return self

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, *_: object) -> None:
        filters = [hub_subscription(channel, None) for channel in (Channel.EVENTS, Channel.STATUS)]
        client.subscribe([(name, 1) for name in filters])

    def _on_message(self, client: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        gateway_id, channel = parse_topic(message.topic)
        if channel is Channel.STATUS:
            self.statuses.append(bytes(message.payload))
            return
        batch = decode_batch(bytes(message.payload))
        with self._lock:
            for event in batch.events:
                self.received[(batch.epoch, event.seq)] += 1
        if self.refuse_whole is not None:  # with the epoch when it names one
            epoch = batch.epoch if self.refuse_whole.reason == "invalid message" else None
            ack = Ack(gateway_id=gateway_id, epoch=epoch, refused=self.refuse_whole)
            client.publish(topic(gateway_id, Channel.ACK), encode(ack), qos=1)
        elif self.ack:
            seqs = {event.seq for event in batch.events}
            ack = Ack(
                gateway_id=gateway_id,
                epoch=batch.epoch,
                committed=compress(seqs - self.refuse),
                dead_lettered=compress(seqs & self.refuse),
            )
            client.publish(topic(gateway_id, Channel.ACK), encode(ack), qos=1)

    def distinct(self) -> set[tuple[UUID, int]]:
        with self._lock:
            return set(self.received)


def wait_until(predicate: "object", timeout: float = 20.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")
