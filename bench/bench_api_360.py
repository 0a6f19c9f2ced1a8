"""Hub API: GET /customers/{id} (the customer 360) on PostgreSQL with 1M customers and
10M raw events, beside the bare SQL the view needs (psycopg, same ids, same run).

    python -m bench.bench_api_360 [--customers 1000000] [--events 10000000] [--requests 5000]

Builds a scratch database (migrated by hub.db.migrate), loads it with COPY
(bench/api360_data.py says what), serves the real API (build_api + uvicorn) in a
subprocess on a loopback port, and times requests over one keep-alive httpx client:
random customers, a hot set of 100, the heaviest customers, and unknown ids (404).
Prints a table and writes bench/results/api_360.json.
"""

import argparse
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench.api360_data import TENANT, Shape, customer_id, load
from bench.api360_sql import explain, time_sql
from bench.common import console, latency_table, percentiles_us, write_results
from hub.auth import api_keys
from hub.auth.grants import CUSTOMERS_READ
from hub.auth.scope import Role, Scope
from hub.db import make_engine, make_session_factory, migrate
from tests.support.net import free_port, wait_for_port
from tests.support.postgres import scratch_database

HOT = 100
HEAVY = 10


@contextmanager
def api_server(url: str) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.api360_server", "--url", url, "--port", str(port)]
    proc = subprocess.Popen(cmd)
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bench_key(url: str) -> str:
    """An API key of the bench tenant that may read customers."""
    engine = make_engine(url)
    scope = Scope(tenant_id=TENANT, role=Role.ADMIN, subject="bench")
    try:
        with make_session_factory(engine).begin() as session:
            made = api_keys.create(session, scope, "bench", [CUSTOMERS_READ], datetime.now(UTC))
    finally:
        engine.dispose()
    return made.key


def time_api(
    client: httpx.Client, paths: list[str], expect: int, query: dict[str, Any]
) -> tuple[list[int], int]:
    """Nanoseconds per request and the mean body size; every status must be `expect`."""
    samples, size = [], 0
    for path in paths:
        started = time.perf_counter_ns()
        response = client.get(path, params=query)
        samples.append(time.perf_counter_ns() - started)
        if response.status_code != expect:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        size += len(response.content)
    return samples, size // max(1, len(paths))


def older_pages(client: httpx.Client, ids: list[str], query: dict[str, Any]) -> list[str]:
    """The second touchpoints page of each customer, as the 360 links it."""
    paths = []
    for cid in ids:
        cursor = client.get(f"/customers/{cid}", params=query).json()["touchpoints_next"]
        paths.append(f"/customers/{cid}/touchpoints?before={cursor}")
    return paths


def workloads(shape: Shape, requests: int, rng: random.Random) -> dict[str, list[str]]:
    everyone = shape.customers
    hot = [customer_id(rng.randrange(everyone)) for _ in range(HOT)]
    return {
        "random": [customer_id(rng.randrange(everyone)) for _ in range(requests)],
        "hot set (100 ids)": [rng.choice(hot) for _ in range(requests)],
        f"heaviest {HEAVY}": [customer_id(i % HEAVY) for i in range(min(requests, 200))],
    }


def measure(url: str, shape: Shape, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(11)
    work = workloads(shape, args.requests, rng)
    limit = args.limit
    query = {"limit": limit}
    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    results: dict[str, Any] = {}
    headers = {"X-API-Key": bench_key(url)}  # each request also looks the key up
    with (
        api_server(url) as base,
        httpx.Client(base_url=base, timeout=60, headers=headers) as client,
    ):
        warm = [f"/customers/{customer_id(rng.randrange(shape.customers))}" for _ in range(500)]
        time_api(client, warm, 200, query)
        for name, ids in work.items():
            api, size = time_api(client, [f"/customers/{c}" for c in ids], 200, query)
            sql = time_sql(conninfo, ids, limit)
            results[name] = {"api": percentiles_us(api), "sql": percentiles_us(sql), "bytes": size}
        missing = [f"cus-nobody-{i}" for i in range(1000)]
        api, _ = time_api(client, [f"/customers/{c}" for c in missing], 404, query)
        results["404 unknown id"] = {
            "api": percentiles_us(api),
            "sql": percentiles_us(time_sql(conninfo, missing, limit)),
        }
        heavy = work[f"heaviest {HEAVY}"]
        api, size = time_api(client, older_pages(client, heavy, query), 200, query)
        results[f"heaviest {HEAVY}: 2nd touchpoints page"] = {
            "api": percentiles_us(api),
            "bytes": size,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=20, help="?limit= on every request")
    args = parser.parse_args()
    shape = Shape.for_events(args.customers, args.events)
    now = datetime.now(UTC)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with scratch_database() as url:
        started = time.perf_counter()
        migrate(url)
        with Progress(*columns, console=console) as progress:
            counts = load(url, shape, now, progress)
        load_s = time.perf_counter() - started
        console.print(f"loaded {sum(counts.values()):,} rows in {load_s:.0f} s: {counts}")
        results = measure(url, shape, args)
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        plans = explain(conninfo, customer_id(0), args.limit)
        heaviest = _heaviest(conninfo)
        pg_version = _pg_version(conninfo)
    rows = {}
    for name, r in results.items():
        rows[f"{name}: API"] = r["api"]
        if "sql" in r:
            rows[f"{name}: SQL"] = r["sql"]
    latency_table(f"GET /customers/{{id}}, {shape.customers:,} customers", rows)
    write_results(
        "api_360",
        {
            "shape": shape.__dict__,
            "rows": counts,
            "load_seconds": round(load_s, 1),
            "postgresql": pg_version,
            "limit": args.limit,
            "requests": args.requests,
            "results": results,
            "heaviest_customer": heaviest,
            "explain_customer_0": plans,
        },
    )


def _heaviest(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo) as conn:
        sql = (
            "SELECT (SELECT count(*) FROM purchases WHERE customer_id = %(id)s), "
            "(SELECT count(*) FROM touchpoints WHERE customer_id = %(id)s)"
        )
        purchases, touchpoints = conn.execute(sql, {"id": customer_id(0)}).fetchone() or (0, 0)
    return {"purchases": purchases, "touchpoints": touchpoints}


def _pg_version(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


if __name__ == "__main__":
    main()
