"""What every benchmark shares: sample customers, percentiles, the table and the JSON record."""

import json
import os
import platform
import sqlite3
import statistics
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary, TaskSummary

# STOREPULSE_BENCH_RESULTS moves the JSON records (the CI smoke runs use a temp dir).
RESULTS_DIR = Path(os.environ.get("STOREPULSE_BENCH_RESULTS", Path(__file__).parent / "results"))
T0 = datetime(2024, 1, 1, tzinfo=UTC)
console = Console()


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


def percentiles_us(samples_ns: Sequence[int]) -> dict[str, float]:
    """p50/p99/max/mean of nanosecond samples, in microseconds."""
    ordered = sorted(samples_ns)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    return {
        "p50_us": pick(0.50),
        "p99_us": pick(0.99),
        "max_us": ordered[-1] / 1000,
        "mean_us": statistics.fmean(ordered) / 1000,
    }


def latency_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    table = Table(title=title)
    for column in ("path", "p50 µs", "p99 µs", "max µs", "mean µs"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, stats in rows.items():
        table.add_row(name, *(f"{stats[k]:.1f}" for k in ("p50_us", "p99_us", "max_us", "mean_us")))
    console.print(table)


def write_results(name: str, data: dict[str, Any]) -> Path:
    path = RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        **data,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    console.print(f"wrote {path}")
    return path


def plain_copy_of_events(table: str) -> str:
    """DDL of a plain table shaped like `events` (columns, keys, indexes) on either layout:
    `LIKE` a partitioned parent or a hypertable works, where `events_default` exists only
    on the partitioned one. The COPY baseline's target."""
    return f"CREATE TABLE {table} (LIKE events INCLUDING ALL)"
