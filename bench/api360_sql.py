"""The bare SQL a customer 360 needs, through psycopg: the baseline the API is compared
with, and EXPLAIN ANALYZE of each statement for the profile."""

import time
from typing import Any

import psycopg

# The statements the 360 issues (hub/crm/customer_view.py), in the same shape.
CUSTOMER = (
    "SELECT c.*, i.* FROM customers c LEFT JOIN identities i ON i.customer_id = c.id "
    "WHERE c.id = %(id)s ORDER BY i.id"
)
PURCHASES = (
    "SELECT p.*, it.* FROM (SELECT * FROM purchases WHERE customer_id = %(id)s "
    "ORDER BY at DESC, id DESC LIMIT %(n)s) p "
    "LEFT JOIN purchase_items it ON it.purchase_id = p.id ORDER BY p.at DESC, p.id DESC, it.id"
)
TOUCHPOINTS = (
    "SELECT * FROM touchpoints WHERE customer_id = %(id)s ORDER BY at DESC, id DESC LIMIT %(n)s"
)


def statements() -> list[tuple[str, str]]:
    return [("customer", CUSTOMER), ("purchases", PURCHASES), ("touchpoints", TOUCHPOINTS)]


def fetch_360(conn: psycopg.Connection[Any], cid: str, limit: int) -> int:
    """Run the statements for one customer (one more row than the page, as the view
    does); return the rows read."""
    rows = 0
    with conn.cursor() as cur:
        for name, sql in statements():
            cur.execute(sql, {"id": cid, "n": limit + 1}, prepare=True)
            got = cur.fetchall()
            rows += len(got)
            if name == "customer" and not got:
                break
    conn.rollback()
    return rows


def time_sql(conninfo: str, ids: list[str], limit: int) -> list[int]:
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


def explain(conninfo: str, cid: str, limit: int) -> dict[str, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement for one customer."""
    plans: dict[str, list[str]] = {}
    with psycopg.connect(conninfo) as conn:
        for name, sql in statements():
            params = {"id": cid, "n": limit + 1}
            rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).fetchall()
            plans[name] = [str(r[0]) for r in rows]
        conn.rollback()
    return plans
