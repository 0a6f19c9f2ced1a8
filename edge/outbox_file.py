"""The outbox file's layout and the small records the outbox hands out."""

import sqlite3
from dataclasses import dataclass

from wire.events import Event

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    raw BLOB NOT NULL
);
"""


@dataclass(frozen=True)
class Appended:
    event: Event
    duplicate: bool  # a retransmission: `event` is the one stored first, nothing new stored


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    payload: bytes


@dataclass(frozen=True)
class OutboxStats:
    depth: int
    bytes: int
    oldest_seq: int | None
    next_seq: int
    refused: dict[str, int]
    dead_letters: int
    duplicates: dict[str, int]  # retransmissions answered with an already stored event


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on error (autocommit connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
