"""Customer cache lookup latency with 100,000 customers, against a bare indexed SQLite probe
on the same file in the same run.

    .venv/bin/python -m bench.bench_cache_lookup [--customers 100000] [--lookups 20000]

Prints a table and writes bench/results/cache_lookup.json.
"""

import argparse
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    console,
    customers,
    identifiers,
    latency_table,
    percentiles_us,
    write_results,
)
from edge.cache import CustomerCache
from wire.identity import Identifier, IdentifierKind


def measure(fn: Callable[[Identifier], object], probes: list[Identifier]) -> dict[str, float]:
    for probe in probes[:1000]:  # warm the page cache and the statement cache
        fn(probe)
    samples = []
    for probe in probes:
        start = time.perf_counter_ns()
        fn(probe)
        samples.append(time.perf_counter_ns() - start)
    return percentiles_us(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.db"
        started = time.perf_counter()
        with CustomerCache(path, max_customers=args.customers) as cache:
            cache.replace_all(customers(args.customers), version=1)
        load_s = time.perf_counter() - started
        console.print(f"loaded {args.customers:,} customers in {load_s:.1f} s")

        count = args.lookups
        hits = [identifiers(rng.randrange(args.customers))[rng.randrange(4)] for _ in range(count)]
        unknown = IdentifierKind.CARD_UID
        misses = [Identifier(kind=unknown, value=f"FF{i:010X}") for i in range(count)]
        hot = [hits[i % 50] for i in range(args.lookups)]  # the same 50 regulars over and over

        bare = sqlite3.connect(path)
        bare_sql = "SELECT customer_id FROM identifiers WHERE kind = ? AND value = ?"
        bare_join = (
            "SELECT c.doc FROM identifiers i JOIN customers c ON c.customer_id = i.customer_id "
            "WHERE i.kind = ? AND i.value = ?"
        )
        rows: dict[str, dict[str, float]] = {}
        rows["bare SQLite: identifier index probe"] = measure(
            lambda i: bare.execute(bare_sql, (i.kind.value, i.value)).fetchone(), hits
        )
        rows["bare SQLite: probe + fetch JSON doc"] = measure(
            lambda i: bare.execute(bare_join, (i.kind.value, i.value)).fetchone(), hits
        )
        with CustomerCache(path, max_customers=args.customers, lru_size=0) as cache:
            rows["CustomerCache.lookup, no LRU (random)"] = measure(cache.lookup, hits)
            rows["CustomerCache.lookup, miss"] = measure(cache.lookup, misses)
        with CustomerCache(path, max_customers=args.customers) as cache:
            rows["CustomerCache.lookup, LRU 1024 (random)"] = measure(cache.lookup, hits)
            rows["CustomerCache.lookup, LRU 1024 (50 regulars)"] = measure(cache.lookup, hot)
        bare.close()

    latency_table(f"cache lookup, {args.customers:,} customers, {args.lookups:,} lookups", rows)
    write_results(
        "cache_lookup",
        {
            "customers": args.customers,
            "lookups": args.lookups,
            "load_seconds": round(load_s, 2),
            "results": rows,
        },
    )


if __name__ == "__main__":
    main()
