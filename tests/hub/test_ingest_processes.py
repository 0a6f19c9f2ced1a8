"""Ingest processes: they share the events subscription (MQTT 5), so batches are split
between them and each is committed once, and their counters show on the main process's
/metrics; where they cannot run (no shared subscription) the hub says why and
ingests in its one process."""

import asyncio
import logging
import os
import secrets
import threading
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from hub.db.models import EventKey, RawEvent, StreamSegment
from hub.ingest import shared_metrics
from hub.ingest.processes import (
    HEALTHY_SECONDS,
    can_share_ingest,
    failures_in_a_row,
    restart_delay,
)
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.hub.batches import batch, payload, tap
from tests.support.mosquitto import MosquittoBroker
from tests.support.processes import wait_for
from wire.codec import decode_ack
from wire.topics import Channel, topic

GATEWAY = "gw-demo-1"  # registered by the demo seed
BATCHES = 40
PER_BATCH = 25


def settings(database_url: str, port: int, processes: int) -> HubSettings:
    return HubSettings(
        database_url=database_url,
        mqtt_port=port,
        api_port=0,
        tenant_key=secrets.token_urlsafe(24),
        ingest_workers=1,
        ingest_processes=processes,
    )


class AckCollector:
    """A gateway's MQTT side: publishes batches, collects the seqs the hub acks."""

    def __init__(self, port: int) -> None:
        self.committed: set[int] = set()
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, GATEWAY, protocol=MQTTProtocolVersion.MQTTv5
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_connect = lambda c, *_: c.subscribe(topic(GATEWAY, Channel.ACK), qos=1)
        self.client.on_message = self._on_ack
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()
        assert subscribed.wait(10)

    def _on_ack(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        ack = decode_ack(message.payload)
        with self._lock:
            for r in ack.committed:
                self.committed.update(range(r.first, r.last + 1))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_batches_are_split_between_processes_and_committed_once(
    pg_url: str, mosquitto: MosquittoBroker
) -> None:
    asyncio.run(split_and_commit(pg_url, mosquitto))


async def split_and_commit(pg_url: str, mosquitto: MosquittoBroker) -> None:
    hub = HubRuntime(settings(pg_url, mosquitto.port, processes=2), seed_demo_data=True)
    await hub.start()
    gateway = AckCollector(mosquitto.port)
    try:
        assert hub.ingest_processes is not None and hub.consumer is not None
        assert await asyncio.to_thread(hub.ingest_processes.wait_connected, 60)
        assert shared_metrics.ENV not in os.environ  # set only while a process starts
        extra = hub.ingest_processes.pids
        assert len(extra) == 2
        before = await _metrics(hub.api_port)
        gateway.client.publish(topic(GATEWAY, Channel.EVENTS), b"{not json", qos=1)
        epoch = uuid.uuid4()
        for b in range(BATCHES):
            sent = batch(GATEWAY, [tap()] * PER_BATCH, epoch=epoch, first_seq=1 + b * PER_BATCH)
            gateway.client.publish(topic(GATEWAY, Channel.EVENTS), payload(sent), qos=1)
        total = BATCHES * PER_BATCH
        await asyncio.to_thread(
            wait_for, "every seq acked", lambda: len(gateway.committed) == total, 60
        )
        assert gateway.committed == set(range(1, total + 1))
        assert hub.sessions is not None
        with hub.sessions() as s:
            assert s.scalar(select(func.count()).select_from(RawEvent)) == total
            assert s.scalar(select(func.count()).select_from(EventKey)) == total
            span = StreamSegment.last_seq - StreamSegment.first_seq + 1
            assert s.scalar(select(func.sum(span))) == total  # each event in one segment
        # the ingest processes took them all; the main process takes status only
        assert hub.consumer.counters["batches"] == 0
        # ... and their counters are on the main process's /metrics
        after = await _metrics(hub.api_port)
        grew = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        assert grew["storepulse_hub_events_total", (("outcome", "committed"),)] == total
        assert grew["storepulse_hub_batch_seconds_count", ()] == BATCHES
        garbage = (("kind", "batch"), ("reason", "invalid json"))
        assert grew["storepulse_hub_dead_letters_total", garbage] == 1
        metrics_dir = hub.ingest_processes.metrics_dir
    finally:
        gateway.close()
        await hub.stop()
    assert not any(Path(f"/proc/{pid}").exists() for pid in extra), "ingest process left running"
    assert metrics_dir is not None and not metrics_dir.exists()


async def _metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    response.raise_for_status()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_one_process_without_a_shared_subscription(
    pg_url: str, mosquitto: MosquittoBroker, caplog: pytest.LogCaptureFixture
) -> None:
    plain = settings(pg_url, mosquitto.port, 3).model_copy(update={"mqtt_protocol": "3.1.1"})
    hub = HubRuntime(plain)

    async def start_and_stop() -> None:
        await hub.start()
        await hub.stop()

    with caplog.at_level(logging.WARNING):
        asyncio.run(start_and_stop())
    assert hub.ingest_processes is None
    assert "one process only" in caplog.text and "not an MQTT 5 shared" in caplog.text


def test_sharing_needs_an_mqtt5_shared_subscription() -> None:
    pg = settings("postgresql+psycopg://hub@db/hub", 1883, 2)
    assert can_share_ingest(pg) is None
    for change in ({"mqtt_protocol": "3.1.1"}, {"mqtt_shared_group": None}):
        reason = can_share_ingest(pg.model_copy(update=change))
        assert reason == "the events subscription is not an MQTT 5 shared subscription"


def test_restart_back_off_grows_and_starts_over_after_a_healthy_run() -> None:
    failures, delays = 0, []
    for _crash in range(7):  # crashing right after each start
        failures = failures_in_a_row(failures, lived_seconds=0.5)
        delays.append(restart_delay(failures))
    assert delays == [1.0, 2.0, 5.0, 10.0, 30.0, 30.0, 30.0]
    assert failures_in_a_row(failures, lived_seconds=HEALTHY_SECONDS) == 1
    assert restart_delay(failures_in_a_row(failures, HEALTHY_SECONDS + 1)) == 1.0
