"""The hub's MQTT side: batches in, acks and cache deltas out.

paho's network thread only enqueues; worker threads commit through `IngestService` and
publish the acks. The CRM projection runs beside them (hub/ingest/projection_loop.py):
`on_committed` wakes it after each commit, and it hands back the customers it changed to
`publish_touched`, which sends the cache deltas; cache snapshots go from their own thread
(hub/ingest/snapshot_sender.py). Nothing larger than the link's max message size is
published (the broker would drop the link, and paho would re-send it on every reconnect).
A batch whose commit fails on storage
is not acked: the gateway re-sends it after its ack timeout and the commit is idempotent.
Several hub processes share the load through an MQTT 5 shared subscription
(`$share/hub/...`); on a broker without it (amqtt) the subscription is plain and one
process ingests.
"""

import logging
import os
import queue
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.errors import StorageError
from hub.gateways.cache_deltas import StoreDelta
from hub.gateways.snapshot_sender import SnapshotSender
from hub.ingest.batch_outcome import IngestOutcome
from hub.ingest.service import IngestService
from hub.settings import HubSettings
from wire.codec import decode_status, encode
from wire.errors import WireError
from wire.message_size import message_limit
from wire.topics import Channel, hub_subscription, parse_topic, topic

log = logging.getLogger(__name__)
_STOP = object()
PUBLISH_WAIT_SECONDS = 30.0  # for the broker to take one snapshot part


def hub_client_id() -> str:
    """A new MQTT client id for one hub process. Unique, so hub processes sharing the
    subscription never evict each other; '_' first, so it is never a gateway id (on the
    gateway listener a client id is its gateway id); and partly random, so no client
    that could reach the hub's listener can guess it and kick the hub off."""
    return f"_storepulse-hub-{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(8)}"


class IngestConsumer:
    def __init__(
        self,
        settings: HubSettings,
        service: IngestService,
        sessions: sessionmaker[Session],
        workers: int = 1,
        client_id: str | None = None,
        channels: tuple[Channel, ...] = (Channel.EVENTS, Channel.STATUS),
    ) -> None:
        self.settings = settings
        self.service = service
        self.sessions = sessions
        self.workers = workers
        self.channels = channels  # extra ingest processes take events only
        self.client_id = client_id or hub_client_id()  # kept across paho's reconnects
        self.connected = threading.Event()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=10_000)
        self._threads: list[threading.Thread] = []
        self._client: mqtt.Client | None = None
        self.counters = {"batches": 0, "storage_errors": 0, "bad_topics": 0}
        self.on_outcome: Callable[[str, IngestOutcome], None] | None = None  # an observer
        self.on_committed: Callable[[], None] | None = None  # new events stored: wake the CRM
        # The link's limit: the configured one, or the broker's CONNACK if that is lower.
        self.max_message_bytes = settings.mqtt_max_message_bytes
        self.disconnects = 0
        self._stopping = False
        self.last_disconnect: str | None = None  # the reason, for /healthz
        self.snapshots: SnapshotSender | None = None
        if Channel.STATUS in channels:
            self.snapshots = SnapshotSender(
                sessions,
                self.publish_and_wait,
                lambda: self.max_message_bytes,
                interval_seconds=settings.cache_snapshot_interval_seconds,
                max_customers=settings.cache_snapshot_max_customers,
            )

    def start(self) -> None:
        if self.snapshots is not None:
            self.snapshots.start()
        self._client = self._make_client()
        self._client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port, 30)
        self._client.loop_start()
        for index in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"ingest-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def busy(self) -> bool:
        """Batches are waiting for a worker (the CRM projection gives way then)."""
        return not self._queue.empty()

    def stop(self) -> None:
        if self.snapshots is not None:
            self.snapshots.stop()
        if self._client is not None:
            self._stopping = True
            self._client.disconnect()
            self._client.loop_stop()
        for _ in self._threads:
            self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(10)
        self._threads.clear()

    # -- paho thread -----------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        v5 = self.settings.mqtt_protocol == "5"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
        )
        if self.settings.mqtt_username:
            password = self.settings.mqtt_password
            client.username_pw_set(
                self.settings.mqtt_username, password.get_secret_value() if password else None
            )
        if self.settings.mqtt_tls_ca:
            client.tls_set(
                ca_certs=str(self.settings.mqtt_tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT
            )
        client.reconnect_delay_set(1, 30)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.error("hub ingest: broker refused the connection: %s", reason)
            return
        self._take_broker_limit(props)
        group = self.settings.mqtt_shared_group if self.settings.mqtt_protocol == "5" else None
        if Channel.EVENTS in self.channels:
            client.subscribe(hub_subscription(Channel.EVENTS, group), qos=1)
        if Channel.STATUS in self.channels:  # plain: every status once, to one process
            client.subscribe(hub_subscription(Channel.STATUS, None), qos=1)
        self.connected.set()
        metrics.MQTT_CONNECTED.set(1)
        log.info("hub ingest connected; events via %s", hub_subscription(Channel.EVENTS, group))

    def _take_broker_limit(self, props: Any) -> None:
        broker_packet = getattr(props, "MaximumPacketSize", None)  # MQTT 5 CONNACK only
        configured = self.settings.mqtt_max_message_bytes
        if broker_packet is None or message_limit(broker_packet) >= configured:
            self.max_message_bytes = configured
            return
        self.max_message_bytes = message_limit(broker_packet)
        log.warning(
            "hub ingest: the broker takes packets up to %d bytes, less than "
            "mqtt_max_message_bytes %d allows; messages are cut to %d bytes",
            broker_packet,
            configured,
            self.max_message_bytes,
        )

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        metrics.MQTT_CONNECTED.set(0)
        if self._stopping:  # our own disconnect is no link drop
            log.info("hub ingest: MQTT link closed (stopping)")
            return
        if was_connected:
            self.disconnects += 1
            metrics.MQTT_DISCONNECTS.inc()
        self.last_disconnect = str(reason)
        log.warning("hub ingest: MQTT link down: %s", reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        # Blocks paho's loop when workers fall behind: back-pressure reaches the broker.
        self._queue.put((message.topic, bytes(message.payload), bool(message.retain)))

    # -- workers ---------------------------------------------------------------------

    def _work(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            assert isinstance(item, tuple)
            topic_name: str = item[0]
            payload: bytes = item[1]
            retained: bool = item[2]
            try:
                self._dispatch(topic_name, payload, retained)
            except StorageError as exc:
                self.counters["storage_errors"] += 1
                log.error("hub ingest: storage failed, not acked (gateway will re-send): %s", exc)
            except Exception:  # a worker must survive anything one message does
                log.exception("hub ingest: unexpected failure on %s", topic_name)

    def _dispatch(self, topic_name: str, payload: bytes, retained: bool) -> None:
        try:
            gateway_id, channel = parse_topic(topic_name)
        except WireError as exc:
            self.counters["bad_topics"] += 1
            log.warning("hub ingest: message on a foreign topic %s: %s", topic_name, exc)
            return
        received_at = datetime.now(UTC)
        if channel is Channel.EVENTS:
            self._ingest(gateway_id, payload, received_at)
        elif channel is Channel.STATUS:
            self.service.record_status(gateway_id, payload, received_at, retained=retained)
            self._maybe_snapshot(gateway_id, payload)

    def _ingest(self, gateway_id: str, payload: bytes, received_at: datetime) -> None:
        outcome: IngestOutcome = self.service.commit_batch(gateway_id, payload, received_at)
        self.counters["batches"] += 1
        if self.on_outcome is not None:
            self.on_outcome(gateway_id, outcome)
        if outcome.ack is not None:
            self._publish(topic(outcome.ack.gateway_id, Channel.ACK), encode(outcome.ack))
        if outcome.committed and self.on_committed is not None:
            self.on_committed()

    def publish_touched(self, touched: dict[str, set[str]]) -> None:
        """A cache delta per store for the customers the projection changed there. Raises
        StorageError when the deltas cannot be built: the projection loop sends those
        customers again with its next round."""
        self.publish_deltas(self.service.cache_deltas_for(touched, self.max_message_bytes))

    def publish_deltas(self, deltas: Iterable[StoreDelta]) -> None:
        """Each delta to its store's active gateways (the cache follower's too)."""
        for found in deltas:
            payload = encode(found.delta)
            for gateway_id in found.gateway_ids:
                self._publish(topic(gateway_id, Channel.CACHE), payload)
            metrics.CACHE_DELTAS.inc()

    def _maybe_snapshot(self, gateway_id: str, payload: bytes) -> None:
        try:
            status = decode_status(payload)
        except WireError:
            return  # already dead-lettered by record_status
        if status.state != "online" or status.gateway_id != gateway_id:
            return
        if self.snapshots is not None:
            self.snapshots.request(gateway_id, status.cache_version)

    def _publish(self, topic_name: str, payload: bytes) -> mqtt.MQTTMessageInfo | None:
        """Publish at QoS 1, unless the payload is over the link's limit (then None)."""
        assert self._client is not None
        if len(payload) > self.max_message_bytes:
            channel = topic_name.rsplit("/", 1)[-1]
            metrics.MQTT_OVERSIZE.labels(channel).inc()
            log.error(
                "hub ingest: not publishing %d bytes on %s: over the max message size %d",
                len(payload),
                topic_name,
                self.max_message_bytes,
            )
            return None
        return self._client.publish(topic_name, payload, qos=1)

    def publish_and_wait(self, topic_name: str, payload: bytes) -> bool:
        """Publish and wait until the broker has taken it; False if it did not in time."""
        info = self._publish(topic_name, payload)
        if info is None:
            return False
        try:
            info.wait_for_publish(PUBLISH_WAIT_SECONDS)
        except (RuntimeError, ValueError) as exc:  # paho: not queued (no connection, ...)
            log.warning("hub ingest: publish on %s failed: %s", topic_name, exc)
            return False
        return info.is_published()
