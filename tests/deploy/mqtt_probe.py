"""A blocking MQTT v5 client for ACL tests: real paho-mqtt, every broker answer
(CONNACK, PUBACK, SUBACK reason codes, DISCONNECT) recorded and awaited with a deadline."""

import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

DEADLINE = 5.0


def wait_for(predicate: Callable[[], bool], timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.01)


class Probe:
    def __init__(
        self,
        port: int,
        username: str | None,
        password: str | None,
        ca: Path | None,
        client_id: str | None = None,
    ) -> None:
        self.port = port
        self.client_id = client_id or (username or "")
        self.connack: ReasonCode | None = None
        self.disconnects: list[ReasonCode] = []
        self.messages: list[tuple[str, bytes]] = []
        self._pubacks: dict[int, ReasonCode] = {}
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe

    # -- paho thread ---------------------------------------------------------------
    def _on_connect(
        self, client: mqtt.Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any
    ) -> None:
        self.connack = reason
        if reason.is_failure:
            client.disconnect()  # refused: do not let paho retry in the background

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.disconnects.append(reason)

    def _on_message(self, _c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        self._pubacks[mid] = reason

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, reasons: list[ReasonCode], _p: Any) -> None:
        self._subacks[mid] = reasons

    # -- test thread ---------------------------------------------------------------
    def connect(self) -> ReasonCode:
        """Connect and wait for the CONNACK (or the broker closing on us)."""
        self.client.connect("127.0.0.1", self.port, keepalive=30)
        self.client.loop_start()
        wait_for(lambda: self.connack is not None or bool(self.disconnects))
        assert self.connack is not None, f"no CONNACK, disconnected: {self.disconnects}"
        return self.connack

    def publish(self, topic: str, payload: bytes = b"x", retain: bool = False) -> ReasonCode:
        """QoS 1 publish; return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        wait_for(lambda: info.mid in self._pubacks)
        return self._pubacks[info.mid]

    def subscribe(self, topic_filter: str) -> ReasonCode:
        _, mid = self.client.subscribe(topic_filter, qos=1)
        assert mid is not None
        wait_for(lambda: mid in self._subacks)
        return self._subacks[mid][0]

    def topics(self) -> list[str]:
        with self._lock:
            return [topic for topic, _ in self.messages]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
