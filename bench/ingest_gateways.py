"""Simulated gateways for bench/bench_ingest.py, run in a process of their own so their
Python does not share the hub's GIL.

Each gateway has its own paho client. With the hub it behaves like the edge uplink: at most
`window` batches awaiting the hub's application ack, the next one sent when an ack arrives,
and the time of every ack recorded. Against the do-nothing subscriber there are no
application acks: every batch is handed to paho at once and the broker's PUBACKs pace it
(`window` messages in flight per client).
"""

import multiprocessing.synchronize
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from wire.codec import decode_ack
from wire.topics import Channel, topic


@dataclass
class GatewayRun:
    gateway_id: str
    batches: list[bytes]
    events_per_batch: list[int]
    window: int
    wait_for_acks: bool
    sent: int = 0
    acked_events: int = 0
    acked_batches: int = 0
    last_ack_at: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client: Any = None

    def send_next(self) -> None:
        with self.lock:
            if self.sent >= len(self.batches):
                return
            payload = self.batches[self.sent]
            self.sent += 1
        self.client.publish(topic(self.gateway_id, Channel.EVENTS), payload, qos=1)

    def on_ack(self, payload: bytes) -> None:
        ack = decode_ack(payload)
        events = sum(r.last - r.first + 1 for r in ack.committed)
        with self.lock:
            self.acked_events += events
            self.acked_batches += 1
            self.last_ack_at = time.monotonic()
            finished = self.acked_batches >= len(self.batches)
        if finished:
            self.done.set()
        else:
            self.send_next()


def _client(run: GatewayRun, port: int, connected: threading.Barrier) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"bench-{run.gateway_id}",
        protocol=MQTTProtocolVersion.MQTTv5,
    )
    client.max_inflight_messages_set(run.window)
    client.max_queued_messages_set(0)

    def on_connect(c: mqtt.Client, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        if run.wait_for_acks:
            c.subscribe(topic(run.gateway_id, Channel.ACK), qos=1)
        else:
            connected.wait(30)

    def on_subscribe(_c: mqtt.Client, _u: Any, _mid: Any, _codes: Any, _p: Any) -> None:
        connected.wait(30)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = lambda _c, _u, message: run.on_ack(bytes(message.payload))
    run.client = client
    client.connect("127.0.0.1", port, 60)
    client.loop_start()
    return client


def publish_all(
    port: int,
    work: dict[str, list[bytes]],
    events_per_batch: int,
    window: int,
    wait_for_acks: bool,
    go: multiprocessing.synchronize.Event,
    stop: multiprocessing.synchronize.Event,
    results: Any,
) -> None:
    """Connect every gateway, say ready, wait for `go`, send, put the figures on `results`
    (with acks: once every batch is acked), and disconnect on `stop`."""
    runs = [
        GatewayRun(gw, batches, [events_per_batch] * len(batches), window, wait_for_acks)
        for gw, batches in work.items()
    ]
    connected = threading.Barrier(len(runs) + 1)
    clients = [_client(run, port, connected) for run in runs]
    connected.wait(60)
    results.put({"ready": True})
    go.wait(60)
    started = time.monotonic()
    for run in runs:
        for _ in range(window if wait_for_acks else len(run.batches)):
            run.send_next()
    if wait_for_acks:
        for run in runs:
            run.done.wait(600)
    finished = time.monotonic()
    results.put(
        {
            "started": started,
            "finished": finished,
            "last_ack_at": max((r.last_ack_at for r in runs), default=finished),
            "acked_events": sum(r.acked_events for r in runs),
            "acked_batches": sum(r.acked_batches for r in runs),
            "sent": sum(r.sent for r in runs),
        }
    )
    stop.wait(600)  # without acks, paho is still sending what it queued
    for client in clients:
        client.disconnect()
        client.loop_stop()
