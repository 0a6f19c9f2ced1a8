"""The gateway's customer cache: SQLite (WAL), one JSON document per customer, indexed by
every identifier, so a tap is answered locally in microseconds.

Layout: `customers(customer_id PK, doc, updated_us)` holds the `CachedCustomer` as JSON;
`identifiers(kind, value) PK -> customer_id` (WITHOUT ROWID) maps each identifier to its
customer; `meta` holds the hub version the cache reflects; `staged_*` hold the parts of a snapshot
still arriving (edge/cache/staging.py). A lookup is one prepared
statement (identifier PK probe joined to the customer PK) plus a small LRU of parsed
records in front of it.

Two connections: a reader for `lookup()` and a writer for `apply()`/`note_purchase()`, so a
long delta applied from a worker thread never stalls a tap (WAL readers see the last commit).

Size bound: after every write, while more than `max_customers` are held, the customers with
the oldest `updated_us` are evicted (the hub's `updated_at`, bumped locally by
`note_purchase`), ties by customer_id. An evicted customer is simply "unknown" at the
counter until the hub sends it again.
"""

import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from prometheus_client import Counter
from pydantic import ValidationError

from edge.cache import staging
from edge.cache.cache_file import open_cache_file
from edge.cache.errors import CacheError, CacheVersionGap
from wire.codec import first_error
from wire.identity import Identifier
from wire.messages import CachedCustomer, CacheDelta, PurchaseSummary

log = logging.getLogger(__name__)

VERSION_GAPS = Counter("storepulse_cache_version_gaps_total", "Cache deltas refused for a gap")
LOOKUPS = Counter("storepulse_cache_lookups_total", "Cache lookups", ["result"])

_LOOKUP = (
    "SELECT c.doc FROM identifiers i JOIN customers c ON c.customer_id = i.customer_id "
    "WHERE i.kind = ? AND i.value = ?"
)
_MAX_PURCHASES = 3
_Work = Callable[[sqlite3.Connection], tuple[int, int]]


@dataclass(frozen=True)
class ApplyResult:
    version: int  # cache version after the call
    applied: bool  # False: a duplicate/stale delta, nothing changed
    full: bool  # the delta was a full snapshot (base_version 0)
    upserted: int = 0
    deleted: int = 0
    evicted: int = 0


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class CustomerCache:
    """Constructors do no I/O: `open()` creates or opens the file, `close()` releases it."""

    def __init__(self, path: Path, max_customers: int = 200_000, lru_size: int = 1024) -> None:
        if max_customers < 1:
            raise ValueError("max_customers must be >= 1")
        self.path = path
        self.max_customers = max_customers
        self.lru_size = lru_size
        self._reader: sqlite3.Connection | None = None
        self._writer: sqlite3.Connection | None = None
        self._read_lock = threading.Lock()
        self._write_lock = threading.RLock()  # apply() holds it around _write()
        self._lru: OrderedDict[tuple[str, str], CachedCustomer] = OrderedDict()
        self._lru_lock = threading.Lock()
        self._generation = 0  # bumped on every commit; a read that raced a write is not cached
        self._version = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def open(self) -> "CustomerCache":
        if self._writer is not None:
            return self
        self._writer, self._reader, self._version = open_cache_file(self.path)
        log.info("customer cache open path=%s version=%d", self.path, self._version)
        return self

    def close(self) -> None:
        with self._write_lock, self._read_lock:
            for conn in (self._reader, self._writer):
                if conn is not None:
                    conn.close()
            self._reader = self._writer = None
        self._clear_lru()

    def __enter__(self) -> "CustomerCache":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        """The hub version this cache reflects; 0 = empty, needs a full snapshot."""
        return self._version

    def __len__(self) -> int:
        with self._read_lock:
            row = self._conn(self._reader).execute("SELECT count(*) FROM customers").fetchone()
        return int(row[0])

    @staticmethod
    def _conn(conn: sqlite3.Connection | None) -> sqlite3.Connection:
        if conn is None:
            raise CacheError("customer cache is not open")
        return conn

    # -- reads -------------------------------------------------------------------------------

    def lookup(self, identifier: Identifier) -> CachedCustomer | None:
        key = (identifier.kind.value, identifier.value)
        with self._lru_lock:
            hit = self._lru.get(key)
            if hit is not None:
                self._lru.move_to_end(key)
                LOOKUPS.labels("lru").inc()
                return hit
            generation = self._generation
        with self._read_lock:
            try:
                row = self._conn(self._reader).execute(_LOOKUP, key).fetchone()
            except sqlite3.Error as exc:
                raise CacheError(f"cache lookup failed: {exc}") from exc
        customer = None if row is None else _customer_of(row[0])
        if customer is None:
            LOOKUPS.labels("miss").inc()
            return None
        LOOKUPS.labels("hit").inc()
        self._remember(key, customer, generation)
        return customer

    def lookup_any(
        self, identifiers: Iterable[Identifier]
    ) -> tuple[Identifier, CachedCustomer] | None:
        """The first of `identifiers` (strongest first) that the cache knows, with its
        customer: a card whose UID is new but whose member number is known is that member."""
        for identifier in identifiers:
            customer = self.lookup(identifier)
            if customer is not None:
                return identifier, customer
        return None

    def _remember(self, key: tuple[str, str], customer: CachedCustomer, generation: int) -> None:
        if self.lru_size <= 0:
            return
        with self._lru_lock:
            if generation != self._generation:
                return  # a write committed while we read: our row may be stale
            self._lru[key] = customer
            if len(self._lru) > self.lru_size:
                self._lru.popitem(last=False)

    def _clear_lru(self) -> None:
        with self._lru_lock:
            self._generation += 1
            self._lru.clear()

    # -- writes ------------------------------------------------------------------------------

    def apply(self, delta: CacheDelta) -> ApplyResult:
        """Apply one hub delta (or a snapshot of one part) in one transaction. Raises
        CacheVersionGap (cache unchanged) when it does not follow the current version; the
        gateway then asks for a resync. Parts of a larger snapshot go to stage_part()."""
        if delta.snapshot is not None:
            if delta.snapshot.parts != 1:
                raise ValueError("a snapshot in several parts is staged, not applied")
            return self.replace_all(delta.upserts, delta.version)

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            # Deletes first, then upserts: an id in both ends up present.
            for customer_id in delta.deletes:
                conn.execute("DELETE FROM identifiers WHERE customer_id = ?", (customer_id,))
                conn.execute("DELETE FROM customers WHERE customer_id = ?", (customer_id,))
            self._upsert_many(conn, delta.upserts)
            return len(delta.upserts), len(delta.deletes)

        with self._write_lock:  # the version check and the write are one step
            current = self._version
            if delta.version <= current and delta.base_version < current:
                log.info("cache delta %d already applied (at %d); ignored", delta.version, current)
                return ApplyResult(version=current, applied=False, full=False)
            if delta.base_version != current or delta.version <= delta.base_version:
                VERSION_GAPS.inc()
                gap = CacheVersionGap(current, delta.base_version, delta.version)
                log.warning("cache delta refused, resync needed: %s", gap)
                raise gap
            return self._write(work, delta.version, full=False)

    def replace_all(self, customers: Iterable[CachedCustomer], version: int) -> ApplyResult:
        """A full snapshot: everything is replaced in one transaction. Takes any iterable, so
        a snapshot larger than one wire delta can be streamed in."""
        if version < 1:
            raise ValueError("snapshot version must be >= 1")

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            conn.execute("DELETE FROM identifiers")
            removed = conn.execute("DELETE FROM customers").rowcount
            return self._upsert_many(conn, customers), removed

        return self._write(work, version, full=True)

    def stage_part(self, customers: list[CachedCustomer], *, first: bool) -> int:
        """Stage one part of a snapshot (`first`: drop what was staged before); lookups
        still answer from the cache as it is. Returns how many customers are staged."""

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            if first:
                staging.clear(conn)
            staging.stage(conn, customers)
            count = conn.execute("SELECT count(*) FROM staged_customers").fetchone()[0]
            return int(count), 0

        return self._write(work, None, full=False, clear_lru=False).upserted

    def swap_in_staged(self, version: int) -> ApplyResult:
        """The staged snapshot replaces the cache at `version`, in one transaction."""
        if version < 1:
            raise ValueError("snapshot version must be >= 1")
        return self._write(staging.swap_in, version, full=True)

    def discard_staged(self) -> int:
        work: _Work = lambda conn: (staging.clear(conn), 0)  # noqa: E731
        return self._write(work, None, full=False, clear_lru=False).upserted

    def note_purchase(
        self, identifier: Identifier, purchase: PurchaseSummary
    ) -> CachedCustomer | None:
        """Show a checkout made here at the next tap, before the hub's delta carries it.
        Prepends to last_purchases (keeps 3, one per receipt); None if the customer is unknown.
        The cache version is unchanged: the hub's next upsert of this customer replaces it."""
        key = (identifier.kind.value, identifier.value)
        found: list[CachedCustomer] = []

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            # Read inside the write transaction so a delta cannot slip in between.
            row = conn.execute(_LOOKUP, key).fetchone()
            current = None if row is None else _customer_of(row[0])
            if current is None:
                return 0, 0
            others = [p for p in current.last_purchases if p.receipt_no != purchase.receipt_no]
            updated = current.model_copy(
                update={"last_purchases": [purchase, *others][:_MAX_PURCHASES]}
            )
            touched = max(_micros(current.updated_at), _micros(purchase.at))
            conn.execute(
                "UPDATE customers SET doc = ?, updated_us = ? WHERE customer_id = ?",
                (updated.model_dump_json(), touched, current.customer_id),
            )
            found.append(updated)
            return 1, 0

        self._write(work, None, full=False)
        return found[0] if found else None

    def _upsert_many(self, conn: sqlite3.Connection, customers: Iterable[CachedCustomer]) -> int:
        count = 0
        for customer in customers:
            conn.execute(
                "INSERT INTO customers (customer_id, doc, updated_us) VALUES (?, ?, ?) "
                "ON CONFLICT (customer_id) DO UPDATE SET doc = excluded.doc, "
                "updated_us = excluded.updated_us",
                (customer.customer_id, customer.model_dump_json(), _micros(customer.updated_at)),
            )
            # An upsert replaces the customer's identifiers; an identifier another customer
            # held moves to this one (the hub merged them).
            conn.execute("DELETE FROM identifiers WHERE customer_id = ?", (customer.customer_id,))
            conn.executemany(
                "INSERT OR REPLACE INTO identifiers (kind, value, customer_id) VALUES (?, ?, ?)",
                [(i.kind.value, i.value, customer.customer_id) for i in customer.identifiers],
            )
            count += 1
        return count

    def _evict(self, conn: sqlite3.Connection) -> int:
        excess = int(conn.execute("SELECT count(*) FROM customers").fetchone()[0])
        excess -= self.max_customers
        if excess <= 0:
            return 0
        victims = "SELECT customer_id FROM customers ORDER BY updated_us, customer_id LIMIT ?"
        conn.execute(f"DELETE FROM identifiers WHERE customer_id IN ({victims})", (excess,))
        conn.execute(f"DELETE FROM customers WHERE customer_id IN ({victims})", (excess,))
        log.info("customer cache over %d: evicted %d oldest", self.max_customers, excess)
        return excess

    def _write(
        self,
        work: _Work,
        version: int | None,
        *,
        full: bool,
        clear_lru: bool = True,
    ) -> ApplyResult:
        with self._write_lock:
            conn = self._conn(self._writer)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    upserted, deleted = work(conn)
                    # version None = a local note: no customer added, nothing to evict
                    evicted = self._evict(conn) if version is not None else 0
                    if version is not None:
                        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (version,))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise CacheError(f"cache write failed: {exc}") from exc
            finally:
                if clear_lru:
                    self._clear_lru()
            if version is not None:
                self._version = version
        return ApplyResult(self._version, True, full, upserted, deleted, evicted)


def _customer_of(doc: str) -> CachedCustomer | None:
    """A stored entry, or None for one the contract now refuses (an older hub sent a raw
    number as a hash): a miss until the hub's next delta or snapshot replaces it."""
    try:
        return CachedCustomer.model_validate_json(doc)
    except ValidationError as exc:
        log.warning("cached customer refused by the contract, ignored: %s", first_error(exc))
        return None
