"""Outbox: durable appends/s, and the drain rate of a large backlog after an outage.

    .venv/bin/python -m bench.bench_outbox [--backlog 1000000] [--producers 64]

Appends: every append waits until it is durable (fsync). Measured for one producer alone
(one fsync per event), for concurrent producers through the group-commit writer (what
the gateway does), and for append_many of 500 (the ceiling). Target >= 5,000/s.

Drain: a backlog is written while "offline", then the real Uplink sends it through a
private Mosquitto to a lean stand-in hub that acks every batch; the rate is from connect
to an empty outbox. The baseline, in the same run, is the broker alone: the same batches
published QoS 1 to a subscriber that only counts. Target >= 10,000 events/s.
"""

import argparse
import asyncio
import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from rich.table import Table

from bench.common import console, write_results
from edge.outbox import Outbox
from edge.outbox_writer import GroupCommitWriter
from edge.uplink import Uplink, UplinkConfig
from tests.support.mosquitto import MosquittoBroker
from wire.events import CardTapped
from wire.messages import GatewayStatus
from wire.topics import Channel, topic

GATEWAY = "gw-bench"


def _tap(n: int) -> CardTapped:
    return CardTapped(uid=f"04{n:012X}", technology="Type3Tag", reader="nfc0")


def append_rates(workdir: Path, producers: int, count: int) -> dict[str, float]:
    rates: dict[str, float] = {}
    outbox = Outbox(workdir / "appends.sqlite3", GATEWAY)
    outbox.open()
    started = time.perf_counter()
    for n in range(count // 10):
        outbox.append(_tap(n))
    rates["one producer, one fsync per event"] = (count // 10) / (time.perf_counter() - started)

    async def concurrent() -> float:
        writer = GroupCommitWriter(outbox)
        now = datetime.now(UTC)
        queue = iter(range(count))

        async def producer() -> None:
            for n in queue:
                await writer.append(_tap(n), now)

        begin = time.perf_counter()
        await asyncio.gather(*(producer() for _ in range(producers)))
        return count / (time.perf_counter() - begin)

    rates[f"{producers} producers, group commit"] = asyncio.run(concurrent())
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, count, 500):
        outbox.append_many([(_tap(n), now) for n in range(start, start + 500)])
    rates["append_many of 500 (ceiling)"] = count / (time.perf_counter() - started)
    outbox.close()
    return rates


class LeanHub:
    """Acks each batch by reading only epoch and seqs (the real hub is benchmarked apart)."""

    def __init__(self, port: int, ack: bool) -> None:
        self.events = 0
        self.ack = ack
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(f"sp/v1/gw/{GATEWAY}/events", qos=1)
        self.client.loop_start()
        self.subscribed.wait(10)

    def _on_message(self, client: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        batch = json.loads(message.payload)
        seqs = [event["seq"] for event in batch["events"]]
        self.events += len(seqs)
        if self.ack:
            ack = {
                "schema_version": 1,
                "gateway_id": GATEWAY,
                "epoch": batch["epoch"],
                "committed": [{"first": min(seqs), "last": max(seqs)}],
                "dead_lettered": [],
            }
            client.publish(topic(GATEWAY, Channel.ACK), json.dumps(ack), qos=1)

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def fill_backlog(outbox: Outbox, backlog: int) -> float:
    now = datetime.now(UTC)
    started = time.perf_counter()
    for start in range(0, backlog, 1000):
        outbox.append_many([(_tap(n), now) for n in range(start, min(backlog, start + 1000))])
    return time.perf_counter() - started


def broker_baseline(port: int, outbox: Outbox, batches: int, batch_size: int) -> float:
    """The same batch payloads, QoS 1, to a subscriber that only counts: the broker's limit."""
    sample = outbox.pending(0, batch_size, 10**9)
    head = (
        f'{{"schema_version":1,"gateway_id":"{GATEWAY}","epoch":"{outbox.epoch}",'
        '"sent_at":"2026-01-01T00:00:00Z","events":['
    )
    payload = head.encode() + b",".join(p.payload for p in sample) + b"]}"
    sink = LeanHub(port, ack=False)
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()
    target = batches * len(sample)
    started = time.perf_counter()
    for _ in range(batches):
        publisher.publish(topic(GATEWAY, Channel.EVENTS), payload, qos=1)
    while sink.events < target:
        time.sleep(0.005)
    rate = target / (time.perf_counter() - started)
    publisher.loop_stop()
    publisher.disconnect()
    sink.stop()
    return rate


async def drain(port: int, outbox: Outbox, batch_size: int) -> float:
    hub = LeanHub(port, ack=True)

    def status(state: Literal["online", "offline"]) -> GatewayStatus:
        return GatewayStatus(gateway_id=GATEWAY, state=state)

    uplink = Uplink(
        UplinkConfig(port=port, batch_max_events=batch_size, window=16),
        outbox,
        status,
        lambda _d: None,
        lambda _c: None,
    )
    total = outbox.stats().depth
    started = time.perf_counter()
    await uplink.start()
    while outbox.stats().depth:
        await asyncio.sleep(0.05)
    rate = total / (time.perf_counter() - started)
    await uplink.stop()
    hub.stop()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=20_000)
    parser.add_argument("--producers", type=int, default=64)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storepulse-bench-") as tmp:
        workdir = Path(tmp)
        appends = append_rates(workdir, args.producers, args.appends)
        broker = MosquittoBroker(workdir / "broker").start()
        try:
            outbox = Outbox(workdir / "backlog.sqlite3", GATEWAY, max_bytes=2 * 1024**3)
            outbox.open()
            fill_s = fill_backlog(outbox, args.backlog)
            console.print(f"backlog of {args.backlog:,} events written in {fill_s:.1f} s")
            baseline = broker_baseline(
                broker.port, outbox, args.backlog // args.batch // 4, args.batch
            )
            drained = asyncio.run(drain(broker.port, outbox, args.batch))
            outbox.close()
        finally:
            broker.stop()

    table = Table(title="outbox")
    table.add_column("measure")
    table.add_column("events/s", justify="right")
    table.add_column("target", justify="right")
    for name, rate in appends.items():
        table.add_row(
            f"durable appends: {name}", f"{rate:,.0f}", ">= 5,000" if "group" in name else ""
        )
    table.add_row(
        f"drain of {args.backlog:,} backlog via Uplink + Mosquitto", f"{drained:,.0f}", ">= 10,000"
    )
    table.add_row("baseline: broker alone, same batches, QoS 1", f"{baseline:,.0f}", "")
    console.print(table)
    console.print(f"drain / broker baseline = {drained / baseline:.0%}")
    write_results(
        "outbox",
        {
            "backlog": args.backlog,
            "producers": args.producers,
            "batch": args.batch,
            "appends_per_s": appends,
            "drain_per_s": drained,
            "broker_baseline_per_s": baseline,
            "targets": {"group_commit_appends_per_s": 5000, "drain_per_s": 10000},
        },
    )


if __name__ == "__main__":
    main()
