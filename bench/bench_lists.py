"""Customer list, name search and the customer 360 through our code (hub.crm.lists,
hub.crm.customer_view, and the API's page schemas), each against its bare SQL over
psycopg in the same run, on 1M customers and 10M raw events.

    python -m bench.bench_lists [--scale 1.0] [--requests 2000]

`--scale 0.01` is 10k customers and 100k events (a quick try). The data is
bench/api360_data.py's (COPY into a migrated scratch database on STOREPULSE_TEST_PG's
server), plus leads for one customer in ten (INSERT … SELECT over generate_series).
Workloads, each over random keyset positions or random names:
- list: a store manager's page of 50 (their store's customers: home or served), from a
  random position in name order, with scores and last visits;
- search: an admin's name search, half by family name (王), half by full name (王芳);
- 360: an admin's customer 360 of a random customer (20 purchases, 20 touchpoints).
"Ours" is the domain call and the response model's JSON, as the route does it, without
HTTP; "SQL" the same statements written by hand, prepared, rows fetched. Prints a table,
writes bench/results/lists.json. Not part of `make test`.
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg
from rich.progress import Progress
from sqlalchemy.orm import Session

from bench.api360_data import SURNAMES, TENANT, Shape, customer_id, load, store_id
from bench.api360_sql import fetch_360
from bench.common import console, latency_table, percentiles_us, write_results
from hub.api.list_schemas import CustomerListPage, ListedCustomerOut
from hub.api.routes.customers import _to_360
from hub.auth.scope import Role, Scope
from hub.crm import customer_shown
from hub.crm.customer_view import customer_360
from hub.crm.lists import cursor
from hub.crm.lists.customer_list import list_customers
from hub.crm.lists.filters import VISIT_KINDS, ListFilters
from hub.db import make_engine, make_session_factory, migrate
from tests.support.postgres import scratch_database

PAGE = 50
STORE = store_id(7)
KEY = 'lower(c.name) COLLATE "C"'
LIST_SQL = f"""SELECT c.*, {KEY} AS k,
  (SELECT l.score FROM leads l WHERE l.customer_id = c.id AND l.tenant_id = %(t)s
     AND l.store_id = ANY(%(s)s) ORDER BY l.score DESC LIMIT 1) AS score,
  (SELECT max(tp.at) FROM touchpoints tp WHERE tp.customer_id = c.id
     AND tp.kind = ANY(%(kinds)s) AND tp.store_id = ANY(%(s)s)) AS last_visit_at
FROM customers c WHERE c.tenant_id = %(t)s
  AND (c.home_store_id = ANY(%(s)s) OR EXISTS (SELECT 1 FROM touchpoints tp
       WHERE tp.customer_id = c.id AND tp.store_id = ANY(%(s)s)))
  AND ({KEY}, c.id) > (%(k)s, %(id)s)
ORDER BY {KEY}, c.id LIMIT %(n)s"""
SEARCH_SQL = f"""SELECT c.*, {KEY} AS k,
  (SELECT l.score FROM leads l WHERE l.customer_id = c.id AND l.tenant_id = %(t)s
     ORDER BY l.score DESC LIMIT 1) AS score,
  (SELECT max(tp.at) FROM touchpoints tp WHERE tp.customer_id = c.id
     AND tp.kind = ANY(%(kinds)s)) AS last_visit_at
FROM customers c WHERE c.tenant_id = %(t)s
  AND {KEY} >= lower(%(q)s) AND {KEY} < lower(%(q)s) || chr(1114111)
  AND starts_with({KEY}, lower(%(q)s))
ORDER BY {KEY}, c.id LIMIT %(n)s"""
LEADS_SQL = """INSERT INTO leads (id, tenant_id, source, source_id, customer_id, store_id,
  name, note, tags, score, score_parts, scored_at, captured_at, created_at)
SELECT 'lead-' || g, %(t)s, 'web_form', g::text, 'cus-' || lpad((g * 10)::text, 8, '0'),
  'st-' || lpad(((g * 10) %% 50)::text, 3, '0'), '', '', '[]', (g * 37) %% 101, '[]',
  now(), now(), now() FROM generate_series(0, %(n)s - 1) g"""

MANAGER = Scope(TENANT, Role.STORE_MANAGER, "bench", store_ids=frozenset({STORE}))
ADMIN = Scope(TENANT, Role.ADMIN, "bench")


def _positions(conninfo: str, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """Random (name key, id) keyset positions of existing customers."""
    with psycopg.connect(conninfo) as conn:
        total = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])  # type: ignore[index]
        ids = [customer_id(rng.randrange(total)) for _ in range(count)]
        rows = conn.execute(
            f"SELECT {KEY}, c.id FROM customers c WHERE c.id = ANY(%s)", (ids,)
        ).fetchall()
    by_id = {str(r[1]): str(r[0]) for r in rows}
    return [(by_id[i], i) for i in ids]


def _timed(calls: list[Callable[[], object]]) -> list[int]:
    for call in calls[: min(len(calls), 100)]:  # warm-up: caches, prepared statements
        call()
    samples = []
    for call in calls:
        started = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - started)
    return samples


def _ours_list(session: Session, scope: Scope, f: ListFilters, after: str | None) -> bytes:
    page = list_customers(session, scope, f, PAGE, after)
    rows = [ListedCustomerOut.model_validate(c, from_attributes=True) for c in page.customers]
    out = CustomerListPage(customers=rows, next=page.next_cursor).model_dump_json().encode()
    session.rollback()
    return out


def _ours_360(session: Session, cid: str) -> bytes:
    out = _to_360(customer_shown.show(customer_360(session, ADMIN, cid, 20)))
    session.rollback()
    return out.model_dump_json().encode()


def _sql(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> int:
    rows = len(conn.execute(sql, params, prepare=True).fetchall())
    conn.rollback()
    return rows


def measure(
    url: str, requests: int, customers: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[str]]]:
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    rng = random.Random(5)
    spots = _positions(conninfo, requests, rng)
    names = [rng.choice(SURNAMES) + ("" if n % 2 else "芳") for n in range(requests)]
    people = [customer_id(rng.randrange(customers)) for _ in range(requests)]
    base = {"t": TENANT, "kinds": list(VISIT_KINDS), "n": PAGE + 1}
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    stats: dict[str, dict[str, float]] = {}
    with sessions() as s, psycopg.connect(conninfo) as conn:
        none = ListFilters()
        work: dict[str, tuple[list[Callable[[], object]], list[Callable[[], object]]]] = {
            "list": (
                [partial(_ours_list, s, MANAGER, none, cursor.encode(*p)) for p in spots],
                [partial(_sql, conn, LIST_SQL, base | {"s": [STORE], "k": p[0], "id": p[1]})
                 for p in spots],
            ),
            "search": (
                [partial(_ours_list, s, ADMIN, ListFilters(q=q), None) for q in names],
                [partial(_sql, conn, SEARCH_SQL, base | {"q": q}) for q in names],
            ),
            "360": (
                [partial(_ours_360, s, c) for c in people],
                [partial(fetch_360, conn, c, 20) for c in people],
            ),
        }  # fmt: skip
        for name, (ours, bare) in work.items():
            stats[f"{name} · ours"] = percentiles_us(_timed(ours))
            stats[f"{name} · SQL"] = percentiles_us(_timed(bare))
        plans = {
            "list": _explain(
                conn, LIST_SQL, base | {"s": [STORE], "k": spots[0][0], "id": spots[0][1]}
            ),
            "search": _explain(conn, SEARCH_SQL, base | {"q": names[0]}),
        }
    engine.dispose()
    return stats, plans


def _explain(conn: psycopg.Connection[Any], sql: str, params: dict[str, Any]) -> list[str]:
    rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()
    conn.rollback()
    return [str(r[0]) for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 1M customers, 10M events")
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    shape = Shape.for_events(int(1_000_000 * args.scale), int(10_000_000 * args.scale))
    with scratch_database() as url:
        migrate(url)
        started = time.perf_counter()
        with Progress(console=console) as progress:
            counts = load(url, shape, datetime.now(UTC), progress)
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(conninfo) as conn:
            conn.execute(LEADS_SQL, {"t": TENANT, "n": shape.customers // 10})
            conn.execute("ANALYZE leads")
            conn.commit()
        counts["leads"] = shape.customers // 10
        loaded = time.perf_counter() - started
        console.print(f"loaded {counts} in {loaded:.0f} s")
        stats, plans = measure(url, args.requests, shape.customers)
    for name, plan in plans.items():
        console.print(f"[bold]{name}[/bold]\n" + "\n".join(plan))
    latency_table(f"lists, {shape.customers:,} customers, {shape.events:,} events", stats)
    record = {"shape": shape.__dict__, "rows": counts, "load_s": loaded}
    write_results("lists", record | {"requests": args.requests, "latency": stats, "plans": plans})


if __name__ == "__main__":
    main()
