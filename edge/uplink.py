"""The uplink: sends the outbox to the hub over MQTT and deletes what the hub acknowledges.

paho-mqtt runs its network loop in its own thread (and reconnects with backoff by
itself); its callbacks hand everything to the asyncio loop. The sender keeps a window
of batches in flight; on every (re)connect, and when the oldest batch waits longer than
`ack_timeout` for the hub's ack, it rewinds to the oldest unacked seq and re-sends. The
hub is idempotent on (gateway, epoch, seq), so a re-send is harmless.
"""

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from edge.config_safety import is_loopback_host, is_placeholder
from edge.outbox import Outbox, PendingEvent
from wire import SCHEMA_VERSION
from wire.codec import decode_ack, decode_cache_delta, decode_command, encode
from wire.errors import WireError
from wire.message_size import (
    CEILING_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_MESSAGE_BYTES,
    MIN_MAX_MESSAGE_BYTES,
    PACKET_HEADROOM_BYTES,
)
from wire.messages import Ack, CacheDelta, Command, GatewayStatus
from wire.redaction import redact_payload
from wire.topics import Channel, parse_topic, topic

log = logging.getLogger(__name__)


class UplinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    tls_ca: Path | None = Field(
        default=None, validate_default=True, description="CA file; set it to use TLS"
    )
    protocol: Literal["5", "3.1.1"] = "5"
    keepalive: int = Field(default=30, ge=5)
    batch_max_events: int = Field(default=200, ge=1, le=1000)
    batch_max_bytes: int = Field(default=256 * 1024, ge=1024)
    window: int = Field(default=8, ge=1, description="batches in flight awaiting the hub's ack")
    ack_timeout: float = Field(default=10.0, gt=0)
    status_interval: float = Field(default=30.0, gt=0)
    reconnect_min: int = Field(default=1, ge=1)
    reconnect_max: int = Field(default=30, ge=1)
    max_message_bytes: int = Field(
        default=DEFAULT_MAX_MESSAGE_BYTES,
        ge=MIN_MAX_MESSAGE_BYTES,
        le=CEILING_MAX_MESSAGE_BYTES,
        description="the deployment's largest MQTT payload (the broker's max_message_bytes)",
    )

    @model_validator(mode="after")
    def _batches_fit_a_message(self) -> "UplinkConfig":
        if self.batch_max_bytes > self.max_message_bytes - PACKET_HEADROOM_BYTES:
            raise ValueError(
                f"batch_max_bytes must leave {PACKET_HEADROOM_BYTES} bytes of "
                f"max_message_bytes ({self.max_message_bytes}) for the batch's envelope"
            )
        return self

    @field_validator("password")
    @classmethod
    def _not_a_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and is_placeholder(value.get_secret_value()):
            raise ValueError(
                "password is a template's placeholder: put the one `storepulse broker "
                "add-gateway` printed for this gateway"
            )
        return value

    @field_validator("tls_ca")
    @classmethod
    def _no_password_in_clear(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        host, password = info.data.get("host"), info.data.get("password")
        if value is None and password is not None and host and not is_loopback_host(host):
            raise ValueError(
                f"required: without TLS, password would cross the network to {host} in clear; "
                "set tls_ca to the deployment's CA file (and port to the broker's TLS port, "
                "8883)"
            )
        return value


StatusProvider = Callable[[Literal["online", "offline"]], GatewayStatus]


class Uplink:
    def __init__(
        self,
        config: UplinkConfig,
        outbox: Outbox,
        status: StatusProvider,
        on_cache_delta: Callable[[CacheDelta], None],
        on_command: Callable[[Command], None],
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.gateway_id = outbox.gateway_id
        self._status = status
        self._on_cache_delta = on_cache_delta
        self._on_command = on_command
        self._client: mqtt.Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._connected = False
        self._rewind = True
        self._inflight: deque[tuple[int, float]] = deque()  # (last seq of batch, sent at)
        self._tasks: list[asyncio.Task[None]] = []
        self.counters = {
            "batches_sent": 0,
            "events_sent": 0,
            "acks": 0,
            "bad_messages": 0,
            "refused_by_hub": 0,  # events the hub acked as dead-lettered
            "payloads_refused": 0,  # acks saying the hub read no seq of (part of) a payload
        }

    @property
    def connected(self) -> bool:
        return self._connected

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client = self._make_client()
        self._client.connect_async(self.config.host, self.config.port, self.config.keepalive)
        self._client.loop_start()
        self._tasks = [
            asyncio.create_task(self._send_loop(), name="uplink-send"),
            asyncio.create_task(self._status_loop(), name="uplink-status"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        client = self._client
        if client is not None:
            if self._connected:
                info = client.publish(
                    self._topic(Channel.STATUS), encode(self._status("offline")), qos=1, retain=True
                )
                await asyncio.to_thread(info.wait_for_publish, 2.0)
            client.disconnect()
            client.loop_stop()
        self._client = None

    def wake(self) -> None:
        """Call after appending to the outbox (from the loop's thread)."""
        self._wake.set()

    def publish_status(self) -> None:
        if self._client is not None and self._connected:
            payload = encode(self._status("online"))
            self._client.publish(self._topic(Channel.STATUS), payload, qos=1, retain=True)

    # -- paho side (its own thread) ---------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        v5 = self.config.protocol == "5"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.gateway_id,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if v5 else True,
        )
        if self.config.username:
            password = self.config.password.get_secret_value() if self.config.password else None
            client.username_pw_set(self.config.username, password)
        if self.config.tls_ca:
            client.tls_set(ca_certs=str(self.config.tls_ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        will = encode(self._status("offline"))
        client.will_set(self._topic(Channel.STATUS), will, qos=1, retain=True)
        client.reconnect_delay_set(self.config.reconnect_min, self.config.reconnect_max)
        client.max_inflight_messages_set(max(20, self.config.window * 2))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("uplink connect refused: %s", reason)
            return
        for channel in (Channel.ACK, Channel.CACHE, Channel.CMD):
            client.subscribe(self._topic(channel), qos=1)
        self._call(self._connected_changed, True)

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._call(self._connected_changed, False)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        # Not told to the broker as an MQTT 5 Maximum Packet Size: Mosquitto 2.0.11 then
        # holds back every later QoS 1 message to us behind one that is too big.
        if len(payload) > self.config.max_message_bytes:
            size = WireError("payload too large", f"{len(payload)} bytes")
            self._call(self._refuse, message.topic, size, payload)
            return
        if message.topic != self._topic(Channel.CACHE):
            self._call(self._handle_message, message.topic, payload)
            return
        # A snapshot part is up to max_message_bytes of JSON (~100 ms to validate): decoded
        # here, not on the event loop that answers taps.
        try:
            delta = decode_cache_delta(payload)
        except WireError as exc:
            self._call(self._refuse, message.topic, exc, payload)
            return
        self._call(self._on_cache_delta, delta)

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    # -- loop side -------------------------------------------------------------------

    def _connected_changed(self, connected: bool) -> None:
        self._connected = connected
        log.info("uplink %s", "connected" if connected else "disconnected")
        if connected:
            self._rewind = True
            self.publish_status()
        self._wake.set()

    def _handle_message(self, topic_name: str, payload: bytes) -> None:
        try:
            _, channel = parse_topic(topic_name)
            if channel is Channel.ACK:
                self._handle_ack(payload)
            elif channel is Channel.CMD:
                self._on_command(decode_command(payload))
        except WireError as exc:
            self._refuse(topic_name, exc, payload)

    def _refuse(self, topic_name: str, exc: WireError, payload: bytes) -> None:
        self.counters["bad_messages"] += 1
        log.warning("uplink: bad message on %s: %s", topic_name, exc)
        # a cache delta carries customers' identifiers: they stay out of the dead letter
        redacted = redact_payload(payload, every_identifier=True)
        self.outbox.dead_letter(f"mqtt:{topic_name}", str(exc), redacted)

    def _handle_ack(self, payload: bytes) -> None:
        ack = decode_ack(payload)
        if ack.refused is not None:
            self._log_refusal(ack)
        if ack.epoch is None:
            return  # a payload refused whole, with no epoch read: nothing to delete
        if ack.epoch != self.outbox.epoch:
            log.warning(
                "uplink: ack for epoch %s ignored (ours is %s)", ack.epoch, self.outbox.epoch
            )
            return
        self.outbox.acknowledge([*ack.committed, *ack.dead_lettered])
        self.counters["acks"] += 1
        if ack.dead_lettered:
            refused = sum(r.last - r.first + 1 for r in ack.dead_lettered)
            self.counters["refused_by_hub"] += refused
            log.warning(
                "uplink: the hub refused %d events (seqs %s); its dead letters keep them",
                refused,
                ", ".join(
                    f"{r.first}-{r.last}" if r.last > r.first else str(r.first)
                    for r in ack.dead_lettered
                ),
            )
        oldest = self.outbox.oldest_seq()
        while self._inflight and (oldest is None or self._inflight[0][0] < oldest):
            self._inflight.popleft()
        self._wake.set()

    def _log_refusal(self, ack: Ack) -> None:
        """The hub read no seq of (part of) a payload: those events stay in the outbox and
        go again after the ack timeout; only the ranges of the ack are settled."""
        assert ack.refused is not None
        self.counters["payloads_refused"] += 1
        log.warning(
            "uplink: the hub refused a payload%s: %s (%s); nothing deleted for it",
            "" if ack.epoch is None else f" of epoch {ack.epoch}",
            ack.refused.reason,
            ack.refused.detail,
        )

    async def _send_loop(self) -> None:
        cursor = 0
        while True:
            if self._connected and self._rewind:
                self._rewind, cursor = False, 0
                self._inflight.clear()
            if self._connected and len(self._inflight) < self.config.window:
                batch = self.outbox.pending(
                    cursor, self.config.batch_max_events, self.config.batch_max_bytes
                )
                if batch:
                    self._publish_batch(batch)
                    cursor = batch[-1].seq
                    continue
            await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        timeout = None
        if self._inflight:
            timeout = max(0.0, self._inflight[0][1] + self.config.ack_timeout - time.monotonic())
        self._wake.clear()
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that
            # races with the wake-up, and stop() would then wait forever.
            async with asyncio.timeout(timeout):
                await self._wake.wait()
        except TimeoutError:
            log.warning("uplink: no ack within %.1fs; re-sending from the oldest", timeout)
            self._rewind = True

    def _publish_batch(self, batch: list[PendingEvent]) -> None:
        assert self._client is not None
        sent_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        head = (
            f'{{"schema_version":{SCHEMA_VERSION},"gateway_id":"{self.gateway_id}",'
            f'"epoch":"{self.outbox.epoch}","sent_at":"{sent_at}","events":['
        )
        payload = head.encode() + b",".join(event.payload for event in batch) + b"]}"
        self._client.publish(self._topic(Channel.EVENTS), payload, qos=1)
        self._inflight.append((batch[-1].seq, time.monotonic()))
        self.counters["batches_sent"] += 1
        self.counters["events_sent"] += len(batch)

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.status_interval)
            self.publish_status()

    def _topic(self, channel: Channel) -> str:
        return topic(self.gateway_id, channel)
