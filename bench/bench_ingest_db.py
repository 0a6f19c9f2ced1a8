"""Hub ingest on PostgreSQL: committed events/s of `IngestService.commit_batch`, beside a
bulk COPY of the same raw rows (one transaction per batch) in the same run. Since the CRM
projection moved out of `commit_batch`, this is the ack path alone; bench/bench_ingest.py
measures the whole hub, projection included.

    .venv/bin/python bench/bench_ingest_db.py [--events 100000] [--batch 500]

Batches are realistic: 80% card taps drawn from a pool of cards of which half are known
(a third of those taps also carry the member number), 20% checkouts by known members; 20
gateways in 20 stores. Each measured run gets its own scratch database. Prints a table and
writes ingest_db.json to bench/results/ (or $STOREPULSE_BENCH_RESULTS).
"""

import argparse
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select
from uuid6 import uuid7

from bench.common import plain_copy_of_events, write_results
from bench.ingest_workload import Shape, body, card, gateway
from hub.db import make_engine, make_session_factory, migrate
from hub.db.models import Customer, DeadLetter, Identity, RawEvent, Region, Store, Tenant
from hub.demo.seed import register_gateway
from hub.ingest.service import IngestService
from tests.support.postgres import scratch_database
from wire.codec import decode_batch, encode
from wire.events import make_event
from wire.messages import EventBatch

TENANT = "t-bench"
KEY = b"bench-tenant-key"


def payloads(shape: Shape, now: datetime, seed: int = 7) -> list[tuple[str, bytes]]:
    """(gateway, encoded batch), gateways taking turns; each gateway counts its own seqs."""
    rng = random.Random(seed)
    epochs = [uuid.uuid4() for _ in range(shape.gateways)]
    next_seq = [1] * shape.gateways
    out = []
    for b in range(shape.events // shape.batch):
        g = b % shape.gateways
        gw, first = gateway(g), next_seq[g]
        events = [
            make_event(
                body(rng, shape, b * shape.batch + i),
                event_id=uuid7(),
                gateway_id=gw,
                seq=first + i,
                occurred_at=now + timedelta(milliseconds=b * shape.batch + i),
            )
            for i in range(shape.batch)
        ]
        next_seq[g] += shape.batch
        batch = EventBatch(gateway_id=gw, epoch=epochs[g], sent_at=now, events=events)
        out.append((gw, encode(batch)))
    return out


def prepare(url: str, shape: Shape, now: datetime) -> None:
    """Schema, 20 stores with a gateway each, and the known half of the cards as members."""
    migrate(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with sessions.begin() as s:
        s.add(Tenant(id=TENANT, name="Bench", created_at=now))
        s.flush()
        s.add(Region(id="r-bench", tenant_id=TENANT, name="Bench"))
        s.flush()
        for g in range(shape.gateways):
            s.add(Store(id=f"st-{g:02d}", tenant_id=TENANT, region_id="r-bench", name=f"S{g}"))
    for g in range(shape.gateways):
        register_gateway(sessions, gateway(g), f"st-{g:02d}", now)
    known = shape.cards // 2
    customers = [
        {
            "id": f"cus-b{n:08d}",
            "tenant_id": TENANT,
            "name": f"Member {n}",
            "status": "member",
            "home_store_id": f"st-{n % shape.gateways:02d}",
            "tags": [],
            "created_at": now,
            "updated_at": now,
        }
        for n in range(known)
    ]
    identities = [
        {
            "tenant_id": TENANT,
            "customer_id": f"cus-b{n:08d}",
            "kind": kind,
            "value": value,
            "created_at": now,
        }
        for n in range(known)
        for kind, value in (("card_uid", card(n)), ("member_no", f"M{n:08d}"))
    ]
    with sessions.begin() as s:
        s.execute(insert(Customer), customers)
        s.execute(insert(Identity), identities)
    engine.dispose()


def run_ingest(url: str, work: list[tuple[str, bytes]], threads: int) -> dict[str, Any]:
    engine = make_engine(url, pool_size=threads + 1)
    service = IngestService(make_session_factory(engine), KEY, 120)
    service.commit_batch(*work[0], datetime.now(UTC))  # warm up: connection, layout, caches
    rest = work[1:]
    committed = [0] * threads

    def worker(i: int) -> None:
        for gw, payload in rest[i::threads]:
            committed[i] += service.commit_batch(gw, payload, datetime.now(UTC)).committed

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - started
    with make_session_factory(engine)() as s:
        stored = s.scalar(select(func.count()).select_from(RawEvent))
        dead = s.scalar(select(func.count()).select_from(DeadLetter))
        customers = s.scalar(select(func.count()).select_from(Customer))
    engine.dispose()
    events = sum(committed)
    return {
        "events": events,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "stored": stored,
        "dead_letters": dead,
        "customers": customers,
    }


def copy_baseline(url: str, work: list[tuple[str, bytes]], now: datetime) -> dict[str, Any]:
    """COPY the rows `events` would get into a plain (logged) copy of it, one transaction
    per batch, rows already built: the database's own ceiling for these rows."""
    batches = []
    for _gw, payload in work:
        b = decode_batch(payload)
        batches.append(
            [
                (
                    b.gateway_id,
                    b.epoch,
                    e.seq,
                    e.occurred_at,
                    e.event_id,
                    e.type,
                    TENANT,
                    "st-00",
                    now,
                    e.body.model_dump_json(),
                )
                for e in b.events
            ]
        )
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        conn.execute(plain_copy_of_events("events_baseline"))
        conn.commit()
        started = time.perf_counter()
        for rows in batches:
            with conn.transaction(), conn.cursor() as cur:
                columns = (
                    "gateway_id, epoch, seq, occurred_at, event_id, type, tenant_id, "
                    "store_id, received_at, body"
                )
                with cur.copy(f"COPY events_baseline ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        seconds = time.perf_counter() - started
    events = sum(len(r) for r in batches)
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


def decode_only(work: list[tuple[str, bytes]]) -> dict[str, Any]:
    started = time.perf_counter()
    events = sum(len(decode_batch(p).events) for _gw, p in work)
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": seconds, "events_per_s": events / seconds}


def on_scratch(shape: Shape, now: datetime, run: Callable[[str], dict[str, Any]]) -> Any:
    with scratch_database() as url:
        prepare(url, shape, now)
        return run(url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--gateways", type=int, default=20)
    parser.add_argument("--cards", type=int, default=50_000)
    args = parser.parse_args()
    shape = Shape(args.events, args.batch, args.gateways, args.cards)
    console = Console()
    now = datetime.now(UTC)
    work = payloads(shape, now)
    console.print(f"{len(work)} batches of {shape.batch} events, {shape.gateways} gateways")
    rows: dict[str, dict[str, Any]] = {"wire decode only (1 thread)": decode_only(work)}
    rows["COPY baseline (1 thread)"] = on_scratch(
        shape, now, lambda url: copy_baseline(url, work, now)
    )
    for threads in (1, 2):

        def ingest(url: str, t: int = threads) -> dict[str, Any]:
            return run_ingest(url, work, t)

        rows[f"commit_batch PostgreSQL ({threads} thread{'s' * (threads > 1)})"] = on_scratch(
            shape, now, ingest
        )
    report(console, shape, rows)


def report(console: Console, shape: Shape, rows: dict[str, dict[str, Any]]) -> None:
    copy_rate = rows["COPY baseline (1 thread)"]["events_per_s"]
    table = Table(title=f"hub ingest, {shape.events:,} events in batches of {shape.batch}")
    for column in ("path", "events", "seconds", "events/s", "% of COPY", "dead letters"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, r in rows.items():
        table.add_row(
            name,
            f"{r['events']:,}",
            f"{r['seconds']:.2f}",
            f"{r['events_per_s']:,.0f}",
            f"{100 * r['events_per_s'] / copy_rate:.0f}%",
            str(r.get("dead_letters", "")),
        )
    console.print(table)
    write_results("ingest_db", {"shape": shape.__dict__, "results": rows})


if __name__ == "__main__":
    main()
