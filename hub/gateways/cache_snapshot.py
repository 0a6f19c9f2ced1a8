"""A store's full cache snapshot as wire messages: every customer the store caches (up to
a cap, the most recently updated first), in as many parts as the message size needs.

Entries are read a chunk of customers at a time and kept as their JSON bytes (a 100,000
customer snapshot is ~60 MB of JSON, several times that as models); each part's payload
is its envelope with the entries spliced in, and every part names the snapshot, its
index and the count, so a gateway can tell when it holds them all.
"""

import logging
from dataclasses import dataclass
from uuid import UUID, uuid4

from sqlalchemy.orm import Session

from hub.gateways import cache
from hub.gateways.cache_parts import ENTRY, cut, entries_budget
from wire.messages import MAX_CACHE_ENTRIES, CacheDelta, SnapshotPart

log = logging.getLogger(__name__)
READ_CHUNK = 2000  # customers read per round of statements
_EMPTY_UPSERTS = b'"upserts":[]'


@dataclass(frozen=True)
class SnapshotMessages:
    store_id: str
    version: int
    snapshot_id: UUID
    payloads: list[bytes]  # one per part, in order
    customers: int  # in the snapshot
    store_customers: int  # the store caches in all (with or without identifiers)
    too_big: int  # entries left out: larger than one message


def build_snapshot(
    session: Session, store_id: str, version: int, max_customers: int, max_message_bytes: int
) -> SnapshotMessages:
    ids, total = cache.newest_customers_of_store(session, store_id, max_customers)
    budget = entries_budget(max_message_bytes)
    encoded: list[bytes] = []
    too_big = 0
    for start in range(0, len(ids), READ_CHUNK):
        for entry in cache.cached_customers(session, ids[start : start + READ_CHUNK]):
            raw = ENTRY.dump_json(entry)
            if len(raw) + 2 > budget:  # cannot go in any message: leave it, say so
                too_big += 1
                log.error("cache entry %s: %d bytes, too big to send", entry.customer_id, len(raw))
                continue
            encoded.append(raw)
    pieces = cut([len(raw) for raw in encoded], MAX_CACHE_ENTRIES, budget) or [slice(0, 0)]
    snapshot_id = uuid4()
    payloads = []
    for number, piece in enumerate(pieces, start=1):
        part = SnapshotPart(snapshot_id=snapshot_id, part=number, parts=len(pieces))
        payloads.append(_payload(store_id, version, part, encoded[piece]))
    return SnapshotMessages(store_id, version, snapshot_id, payloads, len(encoded), total, too_big)


def _payload(store_id: str, version: int, part: SnapshotPart, entries: list[bytes]) -> bytes:
    """The part's envelope with its entries in place of the empty list (a JSON string value
    cannot hold the unescaped `"upserts":[]`, so the first one is the field)."""
    envelope = CacheDelta(store_id=store_id, version=version, base_version=0, snapshot=part)
    upserts = b'"upserts":[' + b",".join(entries) + b"]"
    return envelope.model_dump_json().encode().replace(_EMPTY_UPSERTS, upserts, 1)
