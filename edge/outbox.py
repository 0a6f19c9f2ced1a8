"""The durable outbox: every event is written here, fsynced, before anything may lose it.

SQLite in WAL mode with `synchronous=FULL`, so a committed append survives kill -9 and
power loss. Rows leave only when the hub acknowledges their seq (an application ack,
not the broker's PUBACK).

- `seq` is a per-gateway counter kept in the file (it never goes back, even when the
  table is empty). The file also carries an `epoch`, a UUID made with it: a wiped or
  replaced file starts a new epoch and the hub keys on (gateway, epoch, seq).
- Events are stored as their encoded wire JSON, so a batch is built by joining bytes.

Full-disk policy (`max_bytes`): nothing already stored is ever dropped, since it is
unsent customer data. Above `low_priority_ratio` of the budget, low-priority events
(`prompt.shown`, `reader.status`) are refused; at the budget, every new event is
refused with `OutboxFull`. Refusals are counted by type and reported in the gateway
status; what was refused is still shown to the clerk, only not uplinked.

Retransmissions: an append may carry a dedupe key, stored with its event in one
transaction (`outbox_keys`); a live key stores nothing, returns the first event, and is
accepted even when the outbox is full.
"""

import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import uuid6

from edge import outbox_keys
from edge.data_files import prepare_private_file
from edge.errors import OutboxFull
from edge.outbox_file import SCHEMA, Appended, OutboxStats, PendingEvent, Transaction
from edge.outbox_keys import KeyedAppend, KeyedItem
from wire.events import Event, EventBody, make_event
from wire.messages import SeqRange

LOW_PRIORITY_TYPES = frozenset({"prompt.shown", "reader.status"})
_SIZE_SQL = "SELECT coalesce(sum(length(payload)), 0) FROM events"
__all__ = ["LOW_PRIORITY_TYPES", "Appended", "Outbox", "OutboxStats", "PendingEvent"]


class Outbox:
    """Thread-safe: readers append from their threads, the uplink reads and acks."""

    def __init__(
        self,
        path: Path,
        gateway_id: str,
        max_bytes: int = 256 * 1024 * 1024,
        low_priority_ratio: float = 0.9,
        dedupe_window_s: float = outbox_keys.DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.time,  # wall clock of created_at and key windows
    ) -> None:
        self.path = path
        self.gateway_id = gateway_id
        self.max_bytes = max_bytes
        self.low_priority_ratio = low_priority_ratio
        self.dedupe_window_s = dedupe_window_s
        self._clock = clock
        self.refused: Counter[str] = Counter()
        self.duplicates: Counter[str] = Counter()
        self._last_prune = 0.0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._epoch: uuid.UUID | None = None
        self._next_seq = 1
        self._bytes = 0
        self._depth = 0  # kept in memory: count(*) over a big backlog is a full scan

    # -- lifecycle -------------------------------------------------------------------

    def open(self) -> None:
        prepare_private_file(self.path)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(SCHEMA + outbox_keys.SCHEMA)
        with self._transaction(db):
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if "epoch" not in meta:
                meta = {"epoch": str(uuid.uuid4()), "next_seq": "1"}
                db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        self._epoch = uuid.UUID(meta["epoch"])
        self._next_seq = int(meta["next_seq"])
        self._bytes, self._depth = db.execute(
            "SELECT coalesce(sum(length(payload)), 0), count(*) FROM events"
        ).fetchone()
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def epoch(self) -> uuid.UUID:
        if self._epoch is None:
            raise RuntimeError("outbox is not open")
        return self._epoch

    # -- writing ---------------------------------------------------------------------

    def append(
        self,
        body: EventBody,
        occurred_at: datetime | None = None,
        *,
        dedupe_key: str | None = None,
        dedupe_window_s: float | None = None,
    ) -> Event:
        """Give the body the next seq and an id, store it durably, return the event. With a
        `dedupe_key` still live (see outbox_keys), nothing is stored and the first event
        stored under that key is returned instead (same seq and event_id)."""
        return self.append_keyed(body, occurred_at, dedupe_key, dedupe_window_s).event

    def append_keyed(
        self,
        body: EventBody,
        occurred_at: datetime | None = None,
        dedupe_key: str | None = None,
        dedupe_window_s: float | None = None,
    ) -> Appended:
        """As `append`, saying whether the body was a retransmission of a stored one."""
        keyed = None if dedupe_key is None else KeyedAppend(dedupe_key, dedupe_window_s)
        return self.append_batch([(body, occurred_at or datetime.now(UTC), keyed)])[0]

    def append_many(self, items: Iterable[tuple[EventBody, datetime]]) -> list[Event]:
        """One fsync for many events (group commit); all or none are stored."""
        return [done.event for done in self.append_batch([(b, at, None) for b, at in items])]

    def append_batch(self, items: list[KeyedItem], *, trial: bool = False) -> list[Appended]:
        """`append_many` with an optional dedupe key per item, all in one transaction.
        `trial`: a caller that retries one by one on OutboxFull; refusals are not counted."""
        db = self._conn()
        with self._lock:
            now = self._clock()
            prune = now - self._last_prune >= outbox_keys.PRUNE_EVERY_S
            with self._transaction(db):
                if prune:
                    outbox_keys.prune(db, now - self.dedupe_window_s)
                done, rows, size = self._build(db, items, now, trial)
                if rows:
                    db.executemany("INSERT INTO events VALUES (?, ?, ?, ?)", rows)
                    for item, result in zip(items, done, strict=True):
                        if item[2] is not None and not result.duplicate:
                            e = result.event
                            outbox_keys.remember(
                                db, item[2].key, e.seq, e.event_id, e.occurred_at, now
                            )
                    next_seq = self._next_seq + len(rows)
                    db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (str(next_seq),))
            if prune:
                self._last_prune = now
            self._next_seq += len(rows)
            self._bytes += size
            self._depth += len(rows)
            for result in done:  # counted once committed: a refused batch is retried alone
                if result.duplicate:
                    self.duplicates[result.event.type] += 1
            return done

    def _build(
        self, db: sqlite3.Connection, items: list[KeyedItem], now: float, trial: bool
    ) -> tuple[list[Appended], list[tuple[int, str, bytes, float]], int]:
        """Events for the new items, the originals for retransmissions; checks the budget."""
        done: list[Appended] = []
        rows: list[tuple[int, str, bytes, float]] = []
        fresh: dict[str, Event] = {}  # keys first seen in this very call
        size = 0
        for body, occurred_at, keyed in items:
            original = self._original(db, body, keyed, fresh, now)
            if original is not None:
                done.append(Appended(original, duplicate=True))
                continue
            event = make_event(
                body,
                event_id=uuid.UUID(str(uuid6.uuid7())),
                gateway_id=self.gateway_id,
                seq=self._next_seq + len(rows),
                occurred_at=occurred_at,
            )
            payload = event.model_dump_json().encode()
            self._check_budget(event.type, self._bytes + size + len(payload), not trial)
            rows.append((event.seq, event.type, payload, now))
            size += len(payload)
            done.append(Appended(event, duplicate=False))
            if keyed is not None:
                fresh[keyed.key] = event
        return done, rows, size

    def _original(
        self,
        db: sqlite3.Connection,
        body: EventBody,
        keyed: KeyedAppend | None,
        fresh: dict[str, Event],
        now: float,
    ) -> Event | None:
        if keyed is None or keyed.key in fresh:
            return None if keyed is None else fresh[keyed.key]
        stored = outbox_keys.find(db, keyed, now, self.dedupe_window_s)
        if stored is None:
            return None
        return make_event(
            body,
            event_id=stored.event_id,
            gateway_id=self.gateway_id,
            seq=stored.seq,
            occurred_at=stored.occurred_at,
        )

    def _check_budget(self, event_type: str, size_after: int, count: bool) -> None:
        low_priority = event_type in LOW_PRIORITY_TYPES
        limit = self.max_bytes * (self.low_priority_ratio if low_priority else 1.0)
        if size_after > limit:
            if count:
                self.refused[event_type] += 1
            raise OutboxFull(
                f"outbox at {self._bytes} of {self.max_bytes} bytes; refused a {event_type} event"
            )

    def dead_letter(self, source: str, reason: str, raw: bytes = b"") -> None:
        """Keep bad input (a corrupt frame, a garbage card) with its reason, for diagnosis."""
        db = self._conn()
        with self._lock, self._transaction(db):
            db.execute(
                "INSERT INTO dead_letters (at, source, reason, raw) VALUES (?, ?, ?, ?)",
                (time.time(), source, reason, raw[:65536]),
            )

    # -- reading and acks ------------------------------------------------------------

    def pending(self, after_seq: int, max_events: int, max_bytes: int) -> list[PendingEvent]:
        """Unacked events with seq > after_seq, oldest first, within the limits."""
        db = self._conn()
        with self._lock:
            rows = db.execute(
                "SELECT seq, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, max_events),
            ).fetchall()
        batch: list[PendingEvent] = []
        size = 0
        for seq, payload in rows:
            if batch and size + len(payload) > max_bytes:
                break
            batch.append(PendingEvent(seq, payload))
            size += len(payload)
        return batch

    def acknowledge(self, ranges: Iterable[SeqRange]) -> int:
        """Delete the acknowledged seqs; returns how many rows went."""
        db = self._conn()
        removed = 0
        with self._lock, self._transaction(db):
            for seq_range in ranges:
                bounds = (seq_range.first, seq_range.last)
                freed = db.execute(_SIZE_SQL + " WHERE seq BETWEEN ? AND ?", bounds).fetchone()[0]
                cursor = db.execute("DELETE FROM events WHERE seq BETWEEN ? AND ?", bounds)
                removed += cursor.rowcount
                self._bytes -= freed
            self._depth -= removed
        return removed

    def oldest_seq(self) -> int | None:
        """The oldest unacked seq (a primary-key probe, cheap at any depth)."""
        db = self._conn()
        with self._lock:
            oldest: int | None = db.execute("SELECT min(seq) FROM events").fetchone()[0]
        return oldest

    def stats(self) -> OutboxStats:
        db = self._conn()
        with self._lock:
            oldest = db.execute("SELECT min(seq) FROM events").fetchone()[0]
            dead = db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        return OutboxStats(
            depth=self._depth,
            bytes=self._bytes,
            oldest_seq=oldest,
            next_seq=self._next_seq,
            refused=dict(self.refused),
            dead_letters=dead,
            duplicates=dict(self.duplicates),
        )

    def dead_letters(self, limit: int = 100) -> list[tuple[str, str, bytes]]:
        db = self._conn()
        with self._lock:
            rows = db.execute(
                "SELECT source, reason, raw FROM dead_letters ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [(source, reason, bytes(raw)) for source, reason, raw in rows]

    # -- internals -------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("outbox is not open")
        return self._db

    @staticmethod
    def _transaction(db: sqlite3.Connection) -> Transaction:
        return Transaction(db)
