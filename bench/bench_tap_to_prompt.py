"""Tap to prompt: from the reader adapter's observation to the prompt arriving on the store
page's SSE stream, with 100,000 cached customers; beside a bare indexed SQLite lookup of the
same cards on the same file, in the same run. Target: p99 <= 10 ms.

    .venv/bin/python -m bench.bench_tap_to_prompt [--customers 100000] [--taps 2000]

The path measured is the gateway's real one: Pipeline.handle (durable outbox append with
fsync, cache lookup, prompt, prompt.shown append) -> PromptBus -> uvicorn -> sse-starlette ->
an httpx client reading the stream. Writes bench/results/tap_to_prompt.json.
"""

import argparse
import asyncio
import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import console, customers, latency_table, percentiles_us, write_results
from edge.cache import CustomerCache
from edge.outbox import Outbox
from edge.pipeline import Pipeline
from edge.readers.base import Observation
from edge.store_device.access import DeviceAccess
from edge.store_device.db import DeviceDb
from edge.store_device.guard import allowed_host_names
from edge.store_device.pairing import new_code
from edge.store_device.registry import DeviceRegistry
from edge.store_page import PromptBus, build_store_app, make_server
from storepulse.demo.paired import pair_device
from wire.events import CardTapped
from wire.messages import SeqRange


class StreamClock:
    """Reads the page's SSE stream; records when each customer's prompt arrives."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.arrived: dict[str, int] = {}
        self.waiting: dict[str, asyncio.Event] = {}
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=None)) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            self.ready.set()
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    now = time.perf_counter_ns()
                    customer = json.loads(line[5:]).get("customer_id")
                    if customer in self.waiting:
                        self.arrived[customer] = now
                        self.waiting.pop(customer).set()


async def measure_taps(
    pipeline: Pipeline, clock: StreamClock, uids: list[tuple[str, str]]
) -> list[int]:
    samples = []
    for uid, customer_id in uids:
        arrived = clock.waiting[customer_id] = asyncio.Event()
        start = time.perf_counter_ns()
        await pipeline.handle(Observation(CardTapped(uid=uid, technology="T3", reader="nfc0")))
        await asyncio.wait_for(arrived.wait(), 5)
        samples.append(clock.arrived[customer_id] - start)
    return samples


async def run(customer_count: int, taps: int, workdir: Path) -> dict[str, dict[str, float]]:
    cache = CustomerCache(workdir / "cache.sqlite3", max_customers=customer_count).open()
    started = time.perf_counter()
    cache.replace_all(customers(customer_count), version=1)
    console.print(f"cached {customer_count:,} customers in {time.perf_counter() - started:.1f} s")
    outbox = Outbox(workdir / "outbox.sqlite3", "gw-bench")
    outbox.open()
    bus = PromptBus()
    pipeline = Pipeline(outbox, cache, bus, lambda: None, lambda _status: None)
    # The page as the gateway serves it: a paired device reads the stream.
    devices = DeviceDb(workdir / "devices.sqlite3").open()
    access = DeviceAccess(DeviceRegistry(devices), allowed_host_names("127.0.0.1", []), tls=False)
    app = build_store_app(
        bus, pipeline.acted, dict, access=access, on_service=pipeline.service_logged
    )
    server = make_server(app, 0)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    device = await pair_device(f"http://127.0.0.1:{port}", new_code(devices, "bench").code)
    clock = StreamClock(f"http://127.0.0.1:{port}/prompts/stream", device.headers)
    reading = asyncio.create_task(clock.run())
    await clock.ready.wait()

    rng = random.Random(11)
    picks = [rng.randrange(customer_count) for _ in range(taps + 200)]
    uids = [(f"04{n:012X}", f"cus_{n:08d}") for n in picks]
    await measure_taps(pipeline, clock, uids[:200])  # warm-up
    tap_samples = await measure_taps(pipeline, clock, uids[200:])

    bare = sqlite3.connect(workdir / "cache.sqlite3")
    sql = "SELECT customer_id FROM identifiers WHERE kind = 'card_uid' AND value = ?"
    bare_samples = []
    for uid, _ in uids[200:]:
        start = time.perf_counter_ns()
        bare.execute(sql, (uid,)).fetchone()
        bare_samples.append(time.perf_counter_ns() - start)
    append_samples = []
    body = CardTapped(uid="04AABBCCDD", technology="T3", reader="nfc0")
    for _ in range(taps // 4):
        start = time.perf_counter_ns()
        outbox.append(body)
        append_samples.append(time.perf_counter_ns() - start)

    bus.close()
    server.should_exit = True
    reading.cancel()
    await asyncio.gather(serving, reading, return_exceptions=True)
    outbox.acknowledge([SeqRange(first=1, last=outbox.stats().next_seq)])
    outbox.close()
    cache.close()
    return {
        "tap -> prompt on the SSE stream": percentiles_us(tap_samples),
        "measured apart: one durable outbox append (fsync)": percentiles_us(append_samples),
        "baseline: bare indexed SQLite lookup": percentiles_us(bare_samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--taps", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="storepulse-bench-") as tmp:
        rows = asyncio.run(run(args.customers, args.taps, Path(tmp)))
    latency_table(f"tap to prompt, {args.customers:,} cached customers, {args.taps} taps", rows)
    tap_p99_ms = rows["tap -> prompt on the SSE stream"]["p99_us"] / 1000
    verdict = "met" if tap_p99_ms <= 10 else "MISSED"
    console.print(f"target p99 <= 10 ms: {verdict} ({tap_p99_ms:.2f} ms)")
    write_results(
        "tap_to_prompt",
        {
            "customers": args.customers,
            "taps": args.taps,
            "target_p99_ms": 10,
            "p99_ms": round(tap_p99_ms, 3),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
