"""Event to new lead score, end to end: a gateway publishes a checkout by a customer with an
open lead, through a real Mosquitto into `HubRuntime` on a scratch PostgreSQL database; the
clock runs from the publish until the lead's score has changed. Baseline in the same run:
the same path until the event's touchpoint is visible (the CRM projection alone), so the
ratio says what scoring adds on top of projecting.

    .venv/bin/python -m bench.bench_lead_score [--leads 50]

Issue 14 asks for a score recomputed within seconds of the event that changes it.
"""

import argparse
import asyncio
import logging
import secrets
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from rich.table import Table
from sqlalchemy import text

from bench.common import console, write_results
from hub.runtime import HubRuntime
from hub.settings import HubSettings
from tests.hub.batches import batch, checkout, payload
from tests.support.mosquitto import MosquittoBroker
from tests.support.postgres import scratch_database
from wire.events import LeadCaptured
from wire.identity import Identifier, IdentifierKind, keyed_hash
from wire.topics import Channel, topic

GATEWAY = "gw-demo-1"  # registered by the demo seed
TARGET_SECONDS = 5.0
STATE = text(
    "SELECT (SELECT count(*) FROM touchpoints WHERE event_id = :event), "
    "(SELECT scored_at > :since FROM leads WHERE source_id = :lead)"
)


class Gateway:
    """A gateway's MQTT side: publishes batches (QoS 1)."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, GATEWAY, protocol=MQTTProtocolVersion.MQTTv5
        )
        connected = threading.Event()
        self.client.on_connect = lambda *_: connected.set()
        self.client.connect("127.0.0.1", port, 30)
        self.client.loop_start()
        assert connected.wait(10)

    def publish(self, data: bytes) -> None:
        self.client.publish(topic(GATEWAY, Channel.EVENTS), data, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _wait(condition: Any, seconds: float = 60.0) -> float:
    """Poll every millisecond until `condition()`; the monotonic moment it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return time.monotonic()
        time.sleep(0.001)
    raise TimeoutError("condition not reached")


async def measure(url: str, port: int, leads: int) -> dict[str, list[float]]:
    key = secrets.token_urlsafe(24)
    settings = HubSettings(
        database_url=url, mqtt_port=port, api_port=0, tenant_key=key, ingest_processes=1
    )
    hub = HubRuntime(settings, seed_demo_data=True)
    await hub.start()
    assert hub.consumer is not None and hub.engine is not None
    while not hub.consumer.connected.is_set():
        await asyncio.sleep(0.01)
    gateway = Gateway(port)
    epoch, seq = uuid.uuid4(), 1
    contacts = [
        Identifier(
            kind=IdentifierKind.PHONE_HASH,
            value=keyed_hash(key.encode(), IdentifierKind.PHONE_HASH, f"+86139{n:08d}"),
        )
        for n in range(leads)
    ]
    captured = batch(
        GATEWAY, [LeadCaptured(source="bench", name="客户", contact=c) for c in contacts],
        epoch=epoch, first_seq=seq, at=datetime.now(UTC),
    )  # fmt: skip
    seq += leads
    gateway.publish(payload(captured))
    lead_ids = [str(e.event_id) for e in captured.events]
    with hub.engine.connect() as conn:
        count = "SELECT count(*) FROM leads WHERE source_id = ANY(:ids)"
        _wait(lambda: conn.execute(text(count), {"ids": lead_ids}).scalar() == leads)
        conn.rollback()
    found: dict[str, list[float]] = {"touchpoint": [], "score": []}
    with hub.engine.connect() as conn:
        for contact, lead_id in zip(contacts, lead_ids, strict=True):
            paid = checkout(f"R-B-{seq}", member=None).model_copy(update={"member": contact})
            since = datetime.now(UTC)  # the hub scores with this clock too
            sent = batch(GATEWAY, [paid], epoch=epoch, first_seq=seq, at=since)
            seq += 1
            params = {"event": str(sent.events[0].event_id), "lead": lead_id, "since": since}
            started = time.monotonic()
            gateway.publish(payload(sent))
            seen = _until_both(conn, params)
            for name, at in seen.items():
                found[name].append(at - started)
    gateway.close()
    await hub.stop()
    return found


def _until_both(conn: Any, params: dict[str, Any]) -> dict[str, float]:
    """When the event's touchpoint became visible, and when its lead's score changed."""
    seen: dict[str, float] = {}

    def both() -> bool:
        touched, scored = conn.execute(STATE, params).one()
        conn.rollback()  # a fresh snapshot each poll
        now = time.monotonic()
        if touched and "touchpoint" not in seen:
            seen["touchpoint"] = now
        if scored and "score" not in seen:
            seen["score"] = now
        return len(seen) == 2

    _wait(both)
    return seen


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=50, help="leads, one checkout each")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as url:
        broker = MosquittoBroker(Path(tmp) / "broker").start()
        try:
            found = asyncio.run(measure(url, broker.port, args.leads))
        finally:
            broker.stop()
    rows = {
        name: {"p50_s": _pct(v, 0.5), "p99_s": _pct(v, 0.99), "max_s": max(v), "n": len(v)}
        for name, v in found.items()
    }
    table = Table(title=f"gateway publish -> CRM, {args.leads} checkouts by customers with leads")
    for column in ("until", "p50 s", "p99 s", "max s"):
        table.add_column(column, justify="left" if column == "until" else "right")
    labels = {"touchpoint": "touchpoint visible (baseline)", "score": "lead score changed"}
    for name, r in rows.items():
        table.add_row(labels[name], f"{r['p50_s']:.3f}", f"{r['p99_s']:.3f}", f"{r['max_s']:.3f}")
    console.print(table)
    ratio = rows["score"]["p99_s"] / rows["touchpoint"]["p99_s"]
    met = rows["score"]["p99_s"] <= TARGET_SECONDS
    console.print(
        f"score p99 {rows['score']['p99_s']:.3f} s, {ratio:.2f}x the projection's own: "
        f"{'MET' if met else 'MISSED'} (target: within {TARGET_SECONDS:g} s)"
    )
    write_results("lead_score", {"results": rows, "ratio_p99": ratio, "met": met})


if __name__ == "__main__":
    main()
