"""The workload of bench/bench_ingest.py: the database it runs on and the batches it sends.

The demo seed (tenant, region, 20 customers), plus one store and one registered gateway per
simulated gateway, plus members holding the known half of the card pool.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from uuid6 import uuid7

from hub.db import make_engine, make_session_factory, migrate
from hub.db.models import Customer, Identity, Store
from hub.demo import data as demo_data
from hub.demo.seed import register_gateway, seed_demo
from wire.codec import decode_batch, encode
from wire.events import CardTapped, EventBody, LineItem, PosCheckout, make_event
from wire.identity import Identifier, IdentifierKind
from wire.messages import EventBatch

TENANT, REGION = demo_data.TENANT[0], demo_data.REGIONS[0][0]
SEED_KEY = b"bench-seed-key-0123456789"
RAW_COLUMNS = (
    "gateway_id",
    "epoch",
    "seq",
    "occurred_at",
    "event_id",
    "type",
    "tenant_id",
    "store_id",
    "received_at",
    "body",
)


@dataclass(frozen=True)
class Shape:
    events: int
    batch: int
    gateways: int
    cards: int
    window: int = 8
    workers: int = 2
    defer_projection: bool = False
    processes: int = 1

    @property
    def batches(self) -> int:
        return self.events // self.batch

    @property
    def total(self) -> int:
        return self.batches * self.batch


def gateway(g: int) -> str:
    return f"gw-bench-{g:03d}"


def store(g: int) -> str:
    return f"st-bench-{g:03d}"


def card(n: int) -> str:
    return f"04{n:012X}"


def member(n: int) -> str:
    return f"M{n:08d}"


def body(rng: random.Random, shape: Shape, receipt: int) -> EventBody:
    """80% taps (a third of the members' taps carry the member number), 20% checkouts."""
    known = shape.cards // 2  # cards 0..known-1 belong to members
    if rng.random() < 0.8:
        n = rng.randrange(shape.cards)
        with_member = member(n) if n < known and rng.random() < 0.33 else None
        return CardTapped(uid=card(n), technology="Type3Tag", reader="nfc-1", member_no=with_member)
    n = rng.randrange(known)
    items = [
        LineItem(
            sku=f"69012345{rng.randrange(99999):05d}",
            name="维生素C片",
            qty=1 + k % 2,
            unit_price=990,
        )
        for k in range(1 + rng.randrange(3))
    ]
    return PosCheckout(
        receipt_no=f"R-{receipt}",
        items=items,
        total=sum(i.qty * i.unit_price for i in items),
        member=Identifier(kind=IdentifierKind.MEMBER_NO, value=member(n)),
        staff_id="S07",
        terminal="POS-1",
    )


def build_work(shape: Shape, now: datetime, seed: int = 7) -> dict[str, list[bytes]]:
    """gateway -> its encoded batches in seq order (one epoch each)."""
    rng = random.Random(seed)
    work: dict[str, list[bytes]] = {gateway(g): [] for g in range(shape.gateways)}
    epochs = {gw: uuid.uuid4() for gw in work}
    next_seq = dict.fromkeys(work, 1)
    for b in range(shape.batches):
        gw = gateway(b % shape.gateways)
        first = next_seq[gw]
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
        next_seq[gw] += shape.batch
        work[gw].append(
            encode(EventBatch(gateway_id=gw, epoch=epochs[gw], sent_at=now, events=events))
        )
    return work


def copy_rows_of(work: dict[str, list[bytes]], now: datetime) -> list[list[tuple[Any, ...]]]:
    """The rows `events` gets for each batch, built beforehand (for the COPY limit)."""
    rows = []
    for g, batches in enumerate(work.values()):
        for payload in batches:
            b = decode_batch(payload)
            rows.append(
                [
                    (
                        b.gateway_id,
                        b.epoch,
                        e.seq,
                        e.occurred_at,
                        e.event_id,
                        e.type,
                        TENANT,
                        store(g),
                        now,
                        e.body.model_dump_json(),
                    )
                    for e in b.events
                ]
            )
    return rows


def prepare(url: str, shape: Shape, now: datetime) -> None:
    migrate(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    seed_demo(sessions, SEED_KEY, now)
    with sessions.begin() as s:
        s.add_all(
            Store(id=store(g), tenant_id=TENANT, region_id=REGION, name=f"Bench {g}", city="上海")
            for g in range(shape.gateways)
        )
    for g in range(shape.gateways):
        register_gateway(sessions, gateway(g), store(g), now)
    known = shape.cards // 2
    customers = [
        {
            "id": f"cus-b{n:08d}",
            "tenant_id": TENANT,
            "name": f"Member {n}",
            "status": "member",
            "home_store_id": store(n % shape.gateways),
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
        for kind, value in (("card_uid", card(n)), ("member_no", member(n)))
    ]
    with sessions.begin() as s:
        s.execute(insert(Customer), customers)
        s.execute(insert(Identity), identities)
    with engine.begin() as conn:  # fresh statistics, as a running hub's database would have
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
