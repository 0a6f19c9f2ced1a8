"""Parts of a full snapshot, staged in the cache file until all have arrived.

`staged_customers` and `staged_identifiers` have the layout of the live tables. Staging a
part is one transaction; lookups keep answering from the live tables meanwhile. The swap
replaces the live tables' rows with the staged ones in SQL, in the one transaction that
also sets the version, so a tap sees either the old cache or the new one, never a mix,
and a 100,000-customer snapshot is never held in memory.
"""

import sqlite3
from datetime import datetime

from wire.messages import CachedCustomer


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def clear(conn: sqlite3.Connection) -> int:
    """Drop whatever is staged; returns how many customers were."""
    conn.execute("DELETE FROM staged_identifiers")
    return conn.execute("DELETE FROM staged_customers").rowcount


def stage(conn: sqlite3.Connection, customers: list[CachedCustomer]) -> int:
    """Add one part's customers (a customer staged again replaces the earlier one)."""
    rows = [(c.customer_id, c.model_dump_json(), _micros(c.updated_at)) for c in customers]
    conn.executemany("INSERT OR REPLACE INTO staged_customers VALUES (?, ?, ?)", rows)
    # An identifier two customers claim goes to the later, as in a delta (the hub merged).
    conn.executemany(
        "INSERT OR REPLACE INTO staged_identifiers VALUES (?, ?, ?)",
        [(i.kind.value, i.value, c.customer_id) for c in customers for i in c.identifiers],
    )
    return len(rows)


def swap_in(conn: sqlite3.Connection) -> tuple[int, int]:
    """Replace the live cache by what is staged and empty the staging: (in, removed)."""
    conn.execute("DELETE FROM identifiers")
    removed = conn.execute("DELETE FROM customers").rowcount
    added = conn.execute(
        "INSERT INTO customers (customer_id, doc, updated_us) "
        "SELECT customer_id, doc, updated_us FROM staged_customers"
    ).rowcount
    conn.execute(
        "INSERT INTO identifiers (kind, value, customer_id) "
        "SELECT kind, value, customer_id FROM staged_identifiers"
    )
    clear(conn)
    return added, removed
