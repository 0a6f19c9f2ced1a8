"""What a tenant-wide index of identifiers would cost a gateway (issue 12, item 6), against
the store's own customer cache measured in the same run.

The index is the most compact form that still answers "which store of the tenant knows
this identifier, and are they a member": a keyed 64-bit hash of (kind, value) -> store
number and a provisional bit. Two layouts:
- SQLite WITHOUT ROWID (what the edge already uses: atomic updates, nothing in RAM);
- a sorted packed array (8-byte keys, 2-byte stores) searched with bisect: the floor.
It also prices keeping it current: the JSON a snapshot of it would be on the wire.

    .venv/bin/python -m bench.bench_tenant_index [--sizes 100000,1000000] [--lookups 20000]

Prints a table and writes bench/results/tenant_index.json.
"""

import argparse
import hashlib
import json
import random
import sqlite3
import tempfile
import time
from array import array
from bisect import bisect_left
from pathlib import Path
from typing import Any

from bench.bench_cache_lookup import measure
from bench.common import console, customers, identifiers, latency_table, write_results
from edge.cache import CustomerCache
from wire.identity import Identifier, IdentifierKind

KEY = b"bench-tenant-key"
STORES = 500  # a large tenant


def index_key(identifier: Identifier) -> int:
    digest = hashlib.blake2b(
        f"{identifier.kind.value}:{identifier.value}".encode(), digest_size=8, key=KEY
    ).digest()
    return int.from_bytes(digest, "big", signed=True)  # SQLite INTEGER is signed 64-bit


def tenant_identifiers(count: int) -> list[Identifier]:
    return [ident for n in range(count // 4) for ident in identifiers(n + 10_000_000)]


def sqlite_index(path: Path, entries: list[tuple[int, int]]) -> float:
    started = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE ids (key INTEGER PRIMARY KEY, store INTEGER) WITHOUT ROWID")
    with conn:
        conn.executemany("INSERT OR REPLACE INTO ids VALUES (?, ?)", entries)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    return time.perf_counter() - started


def one_size(size: int, rng: random.Random, lookups: int, tmp: Path) -> dict[str, Any]:
    idents = tenant_identifiers(size)
    entries = sorted((index_key(i), rng.randrange(STORES) * 2) for i in idents)
    path = tmp / f"index-{size}.db"
    build_s = sqlite_index(path, entries)
    keys = array("q", (k for k, _s in entries))
    stores = array("H", (s for _k, s in entries))
    probes = [idents[rng.randrange(len(idents))] for _ in range(lookups)]
    conn = sqlite3.connect(path)
    sql = "SELECT store FROM ids WHERE key = ?"

    def packed(identifier: Identifier) -> int | None:
        key = index_key(identifier)
        at = bisect_left(keys, key)
        return stores[at] if at < len(keys) and keys[at] == key else None

    rows = {
        f"tenant index {size:,}: SQLite probe (incl. hash)": measure(
            lambda i: conn.execute(sql, (index_key(i),)).fetchone(), probes
        ),
        f"tenant index {size:,}: packed array + bisect": measure(packed, probes),
    }
    conn.close()
    snapshot = json.dumps([[f"{k & (2**64 - 1):016x}", s] for k, s in entries[:10_000]])
    return {
        "identifiers": size,
        "sqlite_bytes": path.stat().st_size,
        "packed_bytes": keys.itemsize * len(keys) + stores.itemsize * len(stores),
        "build_seconds": round(build_s, 2),
        "snapshot_json_bytes": len(snapshot) * size // 10_000,
        "rows": rows,
    }


def baseline(rng: random.Random, count: int, lookups: int, tmp: Path) -> dict[str, Any]:
    path = tmp / "cache.db"
    with CustomerCache(path, max_customers=count) as cache:
        cache.replace_all(customers(count), version=1)
    with sqlite3.connect(path) as conn:  # the file as it rests, without its WAL
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    hits = [identifiers(rng.randrange(count))[rng.randrange(4)] for _ in range(lookups)]
    misses = [Identifier(kind=IdentifierKind.CARD_UID, value=f"FF{i:010X}") for i in range(lookups)]
    with CustomerCache(path, max_customers=count, lru_size=0) as cache:
        rows = {
            "store cache: CustomerCache.lookup, hit": measure(cache.lookup, hits),
            "store cache: CustomerCache.lookup, miss": measure(cache.lookup, misses),
        }
    return {"identifiers": count * 4, "bytes": size, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--lookups", type=int, default=20_000)
    # 25,000 customers x 4 identifiers = 100,000 identifiers in the store cache
    parser.add_argument("--baseline-customers", type=int, default=25_000)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base = baseline(rng, args.baseline_customers, args.lookups, tmp)
        sizes = [one_size(int(s), rng, args.lookups, tmp) for s in args.sizes.split(",")]
    rows = dict(base["rows"])
    for result in sizes:
        rows.update(result.pop("rows"))
    latency_table(f"tenant-wide index vs the store cache, {args.lookups:,} lookups", rows)
    per_base = base["bytes"] / base["identifiers"]
    console.print(f"store cache: {base['bytes']:,} B for {base['identifiers']:,} identifiers")
    for r in sizes:
        per = r["sqlite_bytes"] / r["identifiers"]
        console.print(
            f"index {r['identifiers']:,}: SQLite {r['sqlite_bytes']:,} B ({per:.1f} B/id, "
            f"{per / per_base:.2f}x the cache's), packed {r['packed_bytes']:,} B, "
            f"built in {r['build_seconds']} s, snapshot as JSON {r['snapshot_json_bytes']:,} B"
        )
    write_results(
        "tenant_index",
        {"lookups": args.lookups, "baseline": base, "sizes": sizes, "results": rows},
    )


if __name__ == "__main__":
    main()
