"""The benchmarks still run, on tiny sizes (no timing is asserted here: figures come from
full runs, recorded in bench/README.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("module", "args", "keys"),
    [
        ("bench.bench_tap_to_prompt", ["--customers", "2000", "--taps", "60"], ["p99_ms"]),
        (
            "bench.bench_outbox",
            ["--backlog", "5000", "--appends", "1000", "--producers", "8"],
            ["drain_per_s", "broker_baseline_per_s"],
        ),
        ("bench.bench_cache_lookup", ["--customers", "2000", "--lookups", "500"], ["results"]),
        (
            "bench.bench_tenant_index",
            ["--sizes", "4000", "--lookups", "500", "--baseline-customers", "1000"],
            ["results", "sizes"],
        ),
        (
            "bench.bench_ingest",
            ["--events", "4000", "--gateways", "4", "--cards", "2000"],
            ["results", "verdict"],
        ),
        ("bench.bench_lead_score", ["--leads", "5"], ["results"]),
        ("bench.bench_ingest_db", ["--events", "2000", "--cards", "1000"], ["results", "shape"]),
        (
            "bench.bench_api_360",
            ["--customers", "2000", "--events", "10000", "--requests", "100"],
            ["results", "rows"],
        ),
        ("bench.bench_lists", ["--scale", "0.002", "--requests", "50"], ["latency", "rows"]),
        ("bench.search_compare", ["--rows", "5000", "--queries", "20"], ["latency", "build_s"]),
    ],
)
def test_benchmark_runs_and_records(
    module: str, args: list[str], keys: list[str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env={**os.environ, "STOREPULSE_BENCH_RESULTS": str(tmp_path), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (record_path,) = tmp_path.glob("*.json")
    record = json.loads(record_path.read_text())
    assert record["machine"]["cpus"] >= 1
    for key in keys:
        assert record[key], f"{key} missing or zero in {record_path.name}"
