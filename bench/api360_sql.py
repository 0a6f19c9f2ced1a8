"""The bare SQL a customer 360 needs, through psycopg: the baseline the API is compared
with, and EXPLAIN ANALYZE of each statement for the profile."""

import time
from typing import Any

import psycopg

# The statements the 360 issues, in order; `limit` is None for "all rows" (the old view).
CUSTOMER = "SELECT * FROM customers WHERE id = %(id)s"
IDENTITIES = "SELECT * FROM identities WHERE customer_id = %(id)s ORDER BY id"
PURCHASES = "SELECT * FROM purchases WHERE customer_id = %(id)s ORDER BY at DESC, id DESC"
ITEMS = "SELECT * FROM purchase_items WHERE purchase_id = ANY(%(pids)s) ORDER BY id"
TOUCHPOINTS = "SELECT * FROM touchpoints WHERE customer_id = %(id)s ORDER BY at DESC, id DESC"


def _limited(sql: str, limit: int | None) -> str:
    return sql if limit is None else f"{sql} LIMIT {limit + 1}"


def statements(limit: int | None) -> list[tuple[str, str]]:
    return [
        ("customer", CUSTOMER),
        ("identities", IDENTITIES),
        ("purchases", _limited(PURCHASES, limit)),
        ("items", ITEMS),
        ("touchpoints", _limited(TOUCHPOINTS, limit)),
    ]


def fetch_360(conn: psycopg.Connection[Any], cid: str, limit: int | None) -> int:
    """Run the statements for one customer; return the rows read."""
    rows = 0
    with conn.cursor() as cur:
        for name, sql in statements(limit):
            params: dict[str, Any] = {"id": cid}
            if name == "items":
                params = {"pids": pids}
            cur.execute(sql, params, prepare=True)
            got = cur.fetchall()
            rows += len(got)
            if name == "customer" and not got:
                return 0
            if name == "purchases":
                pids = [r[0] for r in got]
    conn.rollback()
    return rows


def time_sql(conninfo: str, ids: list[str], limit: int | None) -> list[int]:
    """Nanoseconds per customer for the whole statement set (one connection, prepared)."""
    samples = []
    with psycopg.connect(conninfo) as conn:
        for cid in ids[: min(len(ids), 200)]:  # warm-up: prepare, fill the cache
            fetch_360(conn, cid, limit)
        for cid in ids:
            started = time.perf_counter_ns()
            fetch_360(conn, cid, limit)
            samples.append(time.perf_counter_ns() - started)
    return samples


def explain(conninfo: str, cid: str, limit: int | None) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement for one customer."""
    plans: dict[str, list[str]] = {}
    with psycopg.connect(conninfo) as conn:
        pids = [
            r[0] for r in conn.execute(_limited(PURCHASES, limit), {"id": cid}).fetchall()
        ]
        for name, sql in statements(limit):
            params: dict[str, Any] = {"pids": pids} if name == "items" else {"id": cid}
            rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()
            plans[name] = [str(r[0]) for r in rows]
        conn.rollback()
    return plans
