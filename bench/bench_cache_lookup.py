"""Customer cache lookup latency with 100,000 customers, against a bare indexed SQLite probe
on the same file in the same run.

    .venv/bin/python bench/bench_cache_lookup.py [--customers 100000] [--lookups 20000]

Prints a table and writes bench/results/cache_lookup.json.
"""

import argparse
import json
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from edge.cache import CustomerCache
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

RESULTS = Path(__file__).parent / "results" / "cache_lookup.json"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def identifiers(n: int) -> list[Identifier]:
    return [
        Identifier(kind=IdentifierKind.CARD_UID, value=f"04{n:012X}"),
        Identifier(kind=IdentifierKind.MEMBER_NO, value=f"M{n:08d}"),
        Identifier(kind=IdentifierKind.ID_HASH, value=f"{n * 7919:064x}"),
        Identifier(kind=IdentifierKind.PHONE_HASH, value=f"{n * 104729:064x}"),
    ]


def customers(count: int) -> Iterator[CachedCustomer]:
    for n in range(count):
        at = T0 + timedelta(minutes=n)
        yield CachedCustomer(
            customer_id=f"cus_{n:08d}",
            display_name=f"Wang {n % 100} *",
            identifiers=identifiers(n),
            last_purchases=[
                PurchaseSummary(at=at, receipt_no=f"R{n}-{i}", summary="Vitamin C x2", total=2590)
                for i in range(3)
            ],
            tags=["member", "refill due"],
            open_tasks=[TaskSummary(task_id=f"t{n}", title="Call about the BP monitor")],
            offers=["Double points today"],
            updated_at=at,
        )


def measure(fn: Callable[[Identifier], object], probes: list[Identifier]) -> dict[str, float]:
    for probe in probes[:1000]:  # warm the page cache and the statement cache
        fn(probe)
    samples = []
    for probe in probes:
        start = time.perf_counter_ns()
        fn(probe)
        samples.append(time.perf_counter_ns() - start)
    samples.sort()

    def pick(q: float) -> float:
        return samples[min(len(samples) - 1, int(q * len(samples)))] / 1000

    return {
        "p50_us": pick(0.50),
        "p99_us": pick(0.99),
        "max_us": samples[-1] / 1000,
        "mean_us": statistics.fmean(samples) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    console = Console()
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

    table = Table(title=f"cache lookup, {args.customers:,} customers, {args.lookups:,} lookups")
    for column in ("path", "p50 µs", "p99 µs", "max µs", "mean µs"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, stats in rows.items():
        table.add_row(name, *(f"{stats[k]:.1f}" for k in ("p50_us", "p99_us", "max_us", "mean_us")))
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "customers": args.customers,
        "lookups": args.lookups,
        "load_seconds": round(load_s, 2),
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "results": rows,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
