"""Cache entries cut to what one wire message may carry: a count, and a size in bytes.

A gateway refuses any payload over wire.codec.MAX_PAYLOAD_BYTES (4 MiB) and dead-letters
it; a cache message over that would never apply, and a snapshot would be sent again at
every status. Entries differ a lot in size (up to 50 identifiers and 50 tags each), so a
count alone cannot bound a message.
"""

from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from hub.crm import cache
from wire.codec import MAX_PAYLOAD_BYTES
from wire.messages import CachedCustomer

CACHE_MESSAGE_BYTES = MAX_PAYLOAD_BYTES - 512 * 1024  # the rest: the envelope, and margin
# A snapshot is one message (a CacheDelta holds at most 5000): the newest that fit. Larger
# stores want snapshots in parts, or behind a pointer (DESIGN: "a pointer to a snapshot").
SNAPSHOT_CUSTOMERS = 5000
_ENTRIES: TypeAdapter[list[CachedCustomer]] = TypeAdapter(list[CachedCustomer])
_ENTRY: TypeAdapter[CachedCustomer] = TypeAdapter(CachedCustomer)


def parts(
    entries: list[CachedCustomer], max_count: int, max_bytes: int | None = None
) -> list[list[CachedCustomer]]:
    """`entries` in order, in parts of at most `max_count` entries and `max_bytes` of JSON
    (default CACHE_MESSAGE_BYTES). An entry larger than that alone still gets a part of its
    own (it cannot be cut, and the wire's field limits keep it far below 4 MiB)."""
    max_bytes = CACHE_MESSAGE_BYTES if max_bytes is None else max_bytes
    out: list[list[CachedCustomer]] = []
    for start in range(0, len(entries), max_count):
        chunk = entries[start : start + max_count]
        if len(_ENTRIES.dump_json(chunk)) <= max_bytes:  # the usual case: one dump
            out.append(chunk)
            continue
        part: list[CachedCustomer] = []
        size = 2  # the brackets
        for entry in chunk:
            entry_size = len(_ENTRY.dump_json(entry))
            if part and size + 1 + entry_size > max_bytes:  # 1: the comma before it
                out.append(part)
                part, size = [], 2
            size += entry_size + (1 if part else 0)
            part.append(entry)
        out.append(part)
    return out


def newest_first(
    entries: list[CachedCustomer], max_count: int, max_bytes: int | None = None
) -> list[CachedCustomer]:
    """The most recently updated entries that fit one message (a snapshot)."""
    ordered = sorted(entries, key=lambda e: (e.updated_at, e.customer_id), reverse=True)
    return parts(ordered[:max_count], max_count, max_bytes)[0] if ordered else []


@dataclass(frozen=True)
class Snapshot:
    entries: list[CachedCustomer]
    customers: int  # how many the store caches in all
    cut: bool  # some with identifiers did not fit


def snapshot_of_store(session: Session, store_id: str) -> Snapshot:
    """The store's most recently updated customers that fit one message."""
    ids, total = cache.newest_customers_of_store(session, store_id, SNAPSHOT_CUSTOMERS)
    entries = cache.cached_customers(session, ids)  # those with an identifier
    chosen = newest_first(entries, SNAPSHOT_CUSTOMERS)
    return Snapshot(chosen, total, len(chosen) < len(entries) or len(ids) < total)
