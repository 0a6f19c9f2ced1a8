"""Retransmission keys of the outbox: a POS that re-sends a record it got no answer for.

A key (e.g. `pos:T2:R123`) is stored in the same SQLite transaction as its event, so
"the event is durable" and "the key is known" are one fact: after a crash either both
are there or neither is. A second append with a live key stores nothing and gets the
first event back (same seq, same event_id). Keys are kept for a window (7 days by
default) and pruned after it; the events themselves leave on the hub's ack as before.
"""

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from wire.events import EventBody

SCHEMA = """
CREATE TABLE IF NOT EXISTS dedupe_keys (
    key TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dedupe_keys_created ON dedupe_keys (created_at);
"""
DEFAULT_WINDOW_S = 7 * 24 * 3600.0
PRUNE_EVERY_S = 300.0  # at most one prune per five minutes, inside an append


@dataclass(frozen=True)
class KeyedAppend:
    """What an append with a key needs: the key and how long it stays a duplicate."""

    key: str
    window_s: float | None = None  # None: the outbox's window


KeyedItem = tuple[EventBody, datetime, KeyedAppend | None]  # an append, maybe keyed


@dataclass(frozen=True)
class StoredKey:
    seq: int
    event_id: uuid.UUID
    occurred_at: datetime


def find(
    db: sqlite3.Connection, keyed: KeyedAppend, now: float, default_window_s: float
) -> StoredKey | None:
    """The event first stored under the key, if that was within the key's window."""
    window = default_window_s if keyed.window_s is None else keyed.window_s
    row = db.execute(
        "SELECT seq, event_id, occurred_at FROM dedupe_keys WHERE key = ? AND created_at >= ?",
        (keyed.key, now - window),
    ).fetchone()
    if row is None:
        return None
    return StoredKey(row[0], uuid.UUID(row[1]), datetime.fromisoformat(row[2]))


def remember(
    db: sqlite3.Connection,
    key: str,
    seq: int,
    event_id: uuid.UUID,
    occurred_at: datetime,
    now: float,
) -> None:
    # REPLACE: a key older than its window names a new event (a receipt number reused later).
    db.execute(
        "INSERT OR REPLACE INTO dedupe_keys VALUES (?, ?, ?, ?, ?)",
        (key, seq, str(event_id), occurred_at.isoformat(), now),
    )


def prune(db: sqlite3.Connection, before: float) -> int:
    return db.execute("DELETE FROM dedupe_keys WHERE created_at < ?", (before,)).rowcount
