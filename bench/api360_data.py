"""The data behind the customer 360 benchmark, loaded into a migrated PostgreSQL database
with psycopg COPY.

The shape (defaults for 1M customers and 10M events):
- 50 stores in 5 regions, one gateway each;
- customers with 2–3 identities: a card UID and a member number each, a phone hash for
  every other one; 10% are provisional (no name);
- purchases = 0.3 × events (90% by a member, 10% anonymous), 1–3 items each (mean 1.7);
- touchpoints = 0.5 × events: one `checkout` per member purchase, the rest visits,
  services and prompts acted on;
- raw events spread evenly over the last 13 months (one partition each), of the types
  ingest sees. They are generated beside the CRM rows, not from them: the 360 never reads
  `events`, it only has to live next to it.
Who bought and visited is skewed: customer k gets a share proportional to about
k^-0.55 (u**2.2 of a uniform u), so most customers have a handful of rows while
the first few have thousands (about 10,000 touchpoints for customer 0 at full size).

To load fast the plain secondary indexes are dropped and rebuilt afterwards, and foreign
key triggers are off during COPY (`session_replication_role = replica`); the data is
consistent by construction. Primary keys and unique constraints stay in place.
"""

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from rich.progress import Progress
from sqlalchemy import create_engine

from hub.db.partitions import ensure_month_partitions, month_start, next_month

TENANT = "t-bench"
STORES = 50
REGIONS = 5
MONTHS = 13
SKEW = 2.2
CRM_TABLES = ("customers", "identities", "purchases", "purchase_items", "touchpoints", "events")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


@dataclass(frozen=True)
class Shape:
    customers: int
    events: int
    purchases: int
    touchpoints: int
    seed: int = 7

    @classmethod
    def for_events(cls, customers: int, events: int) -> "Shape":
        return cls(customers, events, int(events * 0.3), int(events * 0.5))


def customer_id(n: int) -> str:
    return f"cus-{n:08d}"


def store_id(s: int) -> str:
    return f"st-{s:03d}"


def _skewed(rng: random.Random, customers: int) -> int:
    return min(customers - 1, int(customers * rng.random() ** SKEW))


class Clock:
    """Timestamps as COPY text, spread over MONTHS months before `now` (cheap to format)."""

    def __init__(self, now: datetime) -> None:
        self.start = now - timedelta(days=30 * MONTHS - 1)
        self.days = [(self.start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(390)]

    def at(self, rng: random.Random) -> str:
        second = rng.randrange(390 * 86400 - 1)
        day, rest = divmod(second, 86400)
        h, rest = divmod(rest, 3600)
        m, s = divmod(rest, 60)
        return f"{self.days[day]} {h:02d}:{m:02d}:{s:02d}+00"


def _org_rows(conn: psycopg.Connection[tuple[object, ...]], now: datetime) -> None:
    conn.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES (%s, 'Bench', %s)", (TENANT, now)
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO regions (id, tenant_id, name) VALUES (%s, %s, %s)",
            [(f"rg-{r}", TENANT, f"Region {r}") for r in range(REGIONS)],
        )
        cur.executemany(
            "INSERT INTO stores (id, tenant_id, region_id, name, city) VALUES (%s,%s,%s,%s,'')",
            [(store_id(s), TENANT, f"rg-{s % REGIONS}", f"Store {s}") for s in range(STORES)],
        )
        cur.executemany(
            "INSERT INTO gateways (id, tenant_id, store_id, status, registered_at, version, "
            "skew_flagged) VALUES (%s, %s, %s, 'active', %s, '', false)",
            [(f"gw-{s:03d}", TENANT, store_id(s), now) for s in range(STORES)],
        )


def _customers(shape: Shape, clock: Clock, rng: random.Random) -> Iterator[str]:
    for n in range(shape.customers):
        provisional = n % 10 == 9
        name = "" if provisional else rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = r"\N" if provisional else f"+86138{n:08d}"
        status = "provisional" if provisional else "member"
        tags = '["member"]' if n % 3 else '["member", "refill due"]'
        at = clock.at(rng)
        home = store_id(n % STORES)
        yield f"{customer_id(n)}\t{TENANT}\t{name}\t{phone}\t{home}\t{status}\t{tags}\t{at}\t{at}\n"


def _identities(shape: Shape, clock: Clock, rng: random.Random) -> Iterator[str]:
    ident = 0
    for n in range(shape.customers):
        cus, at = customer_id(n), clock.at(rng)
        kinds = [("card_uid", f"04{n:012X}"), ("member_no", f"M{n:08d}")]
        if n % 2 == 0:
            kinds.append(("phone_hash", f"{n * 104729:064x}"))
        for kind, value in kinds:
            ident += 1
            yield f"{ident}\t{TENANT}\t{cus}\t{kind}\t{value}\t{at}\n"


def _purchases(shape: Shape, clock: Clock, rng: random.Random, out: list[str]) -> Iterator[str]:
    """Purchases; fills `out` with the member checkouts' touchpoint lines as it goes."""
    for pid in range(1, shape.purchases + 1):
        member = rng.random() < 0.9
        n = _skewed(rng, shape.customers)
        cus = customer_id(n) if member else r"\N"
        store = store_id(n % STORES if rng.random() < 0.8 else rng.randrange(STORES))
        at, receipt = clock.at(rng), f"R{pid:09d}"
        event_id = f"00000000-0000-7000-8000-{pid:012x}"
        total = 990 * (1 + pid % 7)
        yield (
            f"{pid}\t{TENANT}\t{cus}\t{store}\tgw-{store[3:]}\t{event_id}\t{receipt}\t{at}\t"
            f"{total}\tCNY\tstaff-{pid % 40}\tpos-1\n"
        )
        if member:
            out.append(f"{TENANT}\t{cus}\t{store}\tcheckout\tpos\t{at}\t\\N\t{receipt}\t\\N\n")


def _items(shape: Shape, rng: random.Random) -> Iterator[str]:
    for pid in range(1, shape.purchases + 1):
        for k in range(1 if (r := rng.random()) < 0.5 else 2 if r < 0.8 else 3):
            sku = f"69012345{(pid * 31 + k) % 99999:05d}"
            yield f"{TENANT}\t{pid}\t{sku}\t维生素C片 100粒\t{1 + k % 2}\t{990 + 10 * k}\n"


TOUCH_KINDS = (
    ("visit", "nfc"),
    ("visit", "idcard"),
    ("service", "pos"),
    ("prompt_acted", "store_device"),
)


def _touchpoints(
    shape: Shape, clock: Clock, rng: random.Random, checkouts: list[str]
) -> Iterator[str]:
    yield from checkouts
    for _ in range(max(0, shape.touchpoints - len(checkouts))):
        n = _skewed(rng, shape.customers)
        kind, channel = rng.choice(TOUCH_KINDS)
        store = store_id(n % STORES if rng.random() < 0.8 else rng.randrange(STORES))
        staff = f"staff-{n % 40}" if kind == "prompt_acted" else r"\N"
        at = clock.at(rng)
        yield f"{TENANT}\t{customer_id(n)}\t{store}\t{kind}\t{channel}\t{at}\t{staff}\t\t\\N\n"


def _event_body(rng: random.Random, kind: str, shape: Shape) -> str:
    n = rng.randrange(shape.customers)
    body: dict[str, object]
    if kind == "card.tapped":
        body = {"uid": f"04{n:012X}", "technology": "Type3Tag", "reader": "nfc-1"}
    elif kind == "pos.checkout":
        body = {
            "receipt_no": f"R{n:09d}",
            "member_no": f"M{n:08d}",
            "total": 1980,
            "items": [{"sku": "6901234500001", "name": "维生素C片", "qty": 2, "unit_price": 990}],
        }
    elif kind == "prompt.shown":
        body = {"customer_id": customer_id(n), "prompt_id": f"p{n}"}
    else:
        body = {"reader": "nfc-1", "state": "ok"}
    return json.dumps(body, ensure_ascii=False)


EVENT_MIX = ("card.tapped",) * 5 + ("pos.checkout",) * 3 + ("prompt.shown", "reader.status")


def _events(shape: Shape, clock: Clock, rng: random.Random, now: str) -> Iterator[str]:
    epoch = "0190a000-0000-7000-8000-000000000001"
    for seq in range(1, shape.events + 1):
        g = seq % STORES
        kind = EVENT_MIX[seq % len(EVENT_MIX)]
        body = _event_body(rng, kind, shape).replace("\\", "\\\\")
        yield (
            f"gw-{g:03d}\t{epoch}\t{seq}\t{clock.at(rng)}\t00000000-0000-7000-9000-{seq:012x}\t"
            f"{kind}\t{TENANT}\t{store_id(g)}\t{now}\t{body}\n"
        )


COLUMNS = {
    "customers": "id, tenant_id, name, phone, home_store_id, status, tags, created_at, updated_at",
    "identities": "id, tenant_id, customer_id, kind, value, created_at",
    "purchases": "id, tenant_id, customer_id, store_id, gateway_id, event_id, receipt_no, at, "
    "total, currency, staff_id, terminal",
    "purchase_items": "tenant_id, purchase_id, sku, name, qty, unit_price",
    "touchpoints": "tenant_id, customer_id, store_id, kind, channel, at, staff_id, detail, "
    "event_id",
    "events": "gateway_id, epoch, seq, occurred_at, event_id, type, tenant_id, store_id, "
    "received_at, body",
}
_CHUNK = 1 << 20


def _copy(
    conn: psycopg.Connection[tuple[object, ...]],
    table: str,
    lines: Iterator[str],
    total: int,
    progress: Progress,
) -> int:
    task = progress.add_task(table, total=total)
    rows, buf, size = 0, [], 0
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
        for line in lines:
            buf.append(line)
            size += len(line)
            if size >= _CHUNK:
                copy.write("".join(buf))
                progress.advance(task, len(buf))
                rows, buf, size = rows + len(buf), [], 0
        copy.write("".join(buf))
    conn.commit()
    rows += len(buf)
    progress.update(task, completed=rows, total=rows)
    return rows


def _secondary_indexes(conn: psycopg.Connection[tuple[object, ...]]) -> list[tuple[str, str]]:
    """Plain indexes (not backing a primary key or unique constraint) of the loaded tables."""
    return conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
        (list(CRM_TABLES),),
    ).fetchall()  # type: ignore[return-value]


def _ensure_partitions(url: str, clock: Clock, now: datetime) -> None:
    months, month = set(), month_start(clock.start)
    while month <= month_start(now):
        months.add(month)
        month = next_month(month)
    engine = create_engine(url)
    with engine.begin() as conn:
        ensure_month_partitions(conn, months)
    engine.dispose()


def load(url: str, shape: Shape, now: datetime, progress: Progress) -> dict[str, int]:
    """Fill the migrated database at SQLAlchemy `url`; return rows per table."""
    clock = Clock(now)
    _ensure_partitions(url, clock, now)
    rng = random.Random(shape.seed)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    counts: dict[str, int] = {}
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET session_replication_role = replica")  # no FK triggers during COPY
        _org_rows(conn, now)
        conn.commit()
        indexes = _secondary_indexes(conn)
        for name, _ in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.commit()
        checkouts: list[str] = []
        steps: list[tuple[str, Callable[[], Iterator[str]], int]] = [
            ("customers", lambda: _customers(shape, clock, rng), shape.customers),
            ("identities", lambda: _identities(shape, clock, rng), int(shape.customers * 2.5)),
            ("purchases", lambda: _purchases(shape, clock, rng, checkouts), shape.purchases),
            ("purchase_items", lambda: _items(shape, rng), int(shape.purchases * 1.7)),
            ("touchpoints", lambda: _touchpoints(shape, clock, rng, checkouts), shape.touchpoints),
            (
                "events",
                lambda: _events(shape, clock, rng, f"{now:%Y-%m-%d %H:%M:%S}+00"),
                shape.events,
            ),
        ]
        for table, lines, total in steps:
            counts[table] = _copy(conn, table, lines(), total, progress)
        checkouts.clear()
        conn.execute("SET session_replication_role = DEFAULT")
        for table in ("identities", "purchases"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
            )
        task = progress.add_task("indexes", total=len(indexes))
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            conn.execute(definition)
            conn.commit()
            progress.advance(task)
    _vacuum(conninfo, progress)
    return counts


def _vacuum(conninfo: str, progress: Progress) -> None:
    """VACUUM ANALYZE, as autovacuum would have done on a live hub: statistics for the
    planner, visibility maps for index-only scans."""
    task = progress.add_task("vacuum analyze", total=len(CRM_TABLES))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in CRM_TABLES:
            conn.execute(f"VACUUM (ANALYZE) {table}")
            progress.advance(task)
