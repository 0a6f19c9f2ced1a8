"""The committed event stream and the consumers' positions in it.

Ingest appends a segment (a run of consecutive seqs of one gateway epoch) in the batch's
own transaction and never looks at the stream again. Each consumer keeps, per shard, the
last segment it applied, and moves it in the transaction that applies the next ones, so
every consumer sees every committed event exactly once.

Order: segments are read in (writing transaction id, segment id) order, and only below
the horizon of hub.db.stream_writers: the oldest transaction still able to write one.
Every writer below it has ended, so no segment can later appear behind a consumer's
position: a batch that commits late is read late, never skipped. A gateway's batches
commit in the order it sends them (its outbox sends the oldest unacked first), so each
gateway's events reach a consumer in seq order; within a segment, seqs ascend. A long
ingest transaction holds every consumer back (their lag shows it) but loses nothing;
other transactions on the server do not hold them back.

Shards: a consumer's gateways are split over its shards by a hash of the gateway id. A
shard is claimed with FOR UPDATE SKIP LOCKED on its cursor row, so hub processes share a
consumer's shards and one gateway's events are never applied by two transactions at once.
Every step runs inside the caller's transaction.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub.db.models import StreamCursor
from hub.db.stream_writers import read_horizon
from hub.errors import ConfigError

SEGMENTS_PER_READ = 1000
IN_SHARD = "(c.shards = 1 OR mod(abs(hashtext(s.gateway_id)::bigint), c.shards) = c.shard)"
CLAIM = text(
    "SELECT tx_id, segment_id FROM stream_cursors WHERE consumer = :consumer "
    "AND shard = :shard FOR UPDATE SKIP LOCKED"
)
# The next segments of one shard, as many as fit in `max_events` (at least one).
NEXT_SEGMENTS = text(
    "SELECT id, tx_id, tenant_id, gateway_id, epoch, first_seq, last_seq, received_at FROM ("
    " SELECT w.*, sum(w.last_seq - w.first_seq + 1) OVER (ORDER BY w.tx_id, w.id) AS running"
    " FROM (SELECT s.* FROM stream_segments s JOIN stream_cursors c"
    "  ON c.consumer = :consumer AND c.shard = :shard"
    f"  WHERE (s.tx_id, s.id) > (:tx_id, :segment_id) AND s.tx_id < :horizon AND {IN_SHARD}"
    "  ORDER BY s.tx_id, s.id LIMIT :limit) AS w"
    ") AS r WHERE r.running - (r.last_seq - r.first_seq + 1) < :max_events "
    "ORDER BY r.tx_id, r.id"
)
ADVANCE = text(
    "UPDATE stream_cursors SET tx_id = :tx_id, segment_id = :segment_id, updated_at = :now "
    "WHERE consumer = :consumer AND shard = :shard"
)
# The segments after each of the consumer's cursors: one index range scan per shard, from
# its position to the end, however long the stream is. Before the consumer has cursors
# (it starts at the beginning of the stream) every segment counts; that uncorrelated
# NOT EXISTS is evaluated once, and skips the scan of the whole table when cursors exist.
LAG = text(
    "SELECT count(*), coalesce(sum(last_seq - first_seq + 1), 0), min(received_at) FROM ("
    " SELECT s.first_seq, s.last_seq, s.received_at FROM stream_cursors c"
    " JOIN stream_segments s"
    f" ON (s.tx_id, s.id) > (c.tx_id, c.segment_id) AND {IN_SHARD}"
    " WHERE c.consumer = :consumer"
    " UNION ALL"
    " SELECT first_seq, last_seq, received_at FROM stream_segments"
    " WHERE NOT EXISTS (SELECT 1 FROM stream_cursors WHERE consumer = :consumer)"
    ") AS unread"
)
# One index probe per segment on (gateway_id, epoch, seq) in each partition or chunk. The
# whole event comes as one JSON text built by PostgreSQL: pydantic parses it in one call.
EVENTS_OF_SEGMENTS = text(
    "SELECT e.gateway_id, e.epoch, e.seq, e.tenant_id, e.store_id, e.received_at, "
    "json_build_object('event_id', e.event_id, 'gateway_id', e.gateway_id, 'seq', e.seq, "
    "'occurred_at', e.occurred_at, 'type', e.type, 'body', e.body)::text "
    "FROM unnest(CAST(:gateways AS text[]), CAST(:epochs AS uuid[]), "
    "CAST(:firsts AS bigint[]), CAST(:lasts AS bigint[]), CAST(:orders AS int[])) "
    "AS j(g, ep, a, b, o) "
    "CROSS JOIN LATERAL (SELECT * FROM events WHERE gateway_id = j.g AND epoch = j.ep "
    "AND seq BETWEEN j.a AND j.b) AS e ORDER BY j.o, e.seq"
)


@dataclass(frozen=True)
class Position:
    tx_id: int
    segment_id: int


@dataclass(frozen=True)
class Segment:
    id: int
    tx_id: int
    tenant_id: str
    gateway_id: str
    epoch: uuid.UUID
    first_seq: int
    last_seq: int
    received_at: datetime

    @property
    def position(self) -> Position:
        return Position(self.tx_id, self.id)


@dataclass(frozen=True)
class StoredEvent:
    """One stored event, not yet decoded: the registry's columns and the event's JSON."""

    gateway_id: str
    epoch: uuid.UUID
    seq: int
    tenant_id: str
    store_id: str
    received_at: datetime
    document: str


@dataclass(frozen=True)
class Lag:
    segments: int
    events: int
    oldest_received_at: datetime | None

    def seconds(self, now: datetime) -> float:
        """How long the oldest unread event has waited (0 when nothing waits)."""
        if self.oldest_received_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_received_at).total_seconds())


def register(session: Session, consumer: str, shards: int, now: datetime) -> None:
    """Give `consumer` a cursor per shard at the start of the stream, if it has none. The
    number of shards is fixed once chosen: moving gateways between shards could replay or
    skip their events."""
    rows = [
        {"consumer": consumer, "shard": s, "shards": shards, "updated_at": now}
        for s in range(shards)
    ]
    session.execute(insert(StreamCursor).on_conflict_do_nothing(), rows)
    stmt = text("SELECT DISTINCT shards FROM stream_cursors WHERE consumer = :consumer")
    found = set(session.scalars(stmt, {"consumer": consumer}))
    if found != {shards}:
        raise ConfigError(f"stream consumer {consumer} has {sorted(found)} shards, not {shards}")


def claim(session: Session, consumer: str, shard: int) -> Position | None:
    """Lock the shard's cursor for this transaction; None if another transaction holds it."""
    row = session.execute(CLAIM, {"consumer": consumer, "shard": shard}).first()
    return None if row is None else Position(row.tx_id, row.segment_id)


def next_segments(
    session: Session, consumer: str, shard: int, after: Position, max_events: int
) -> list[Segment]:
    params: dict[str, Any] = {
        "consumer": consumer,
        "shard": shard,
        "tx_id": after.tx_id,
        "segment_id": after.segment_id,
        "limit": SEGMENTS_PER_READ,
        "max_events": max_events,
        "horizon": read_horizon(session),  # its own statement, before the read: see there
    }
    return [Segment(*row) for row in session.execute(NEXT_SEGMENTS, params)]


def load_events(session: Session, segments: list[Segment]) -> list[StoredEvent]:
    """The events of `segments`, in stream order (segment by segment, seqs ascending)."""
    if not segments:
        return []
    params = {
        "gateways": [s.gateway_id for s in segments],
        "epochs": [s.epoch for s in segments],
        "firsts": [s.first_seq for s in segments],
        "lasts": [s.last_seq for s in segments],
        "orders": list(range(len(segments))),
    }
    return [StoredEvent(*row) for row in session.execute(EVENTS_OF_SEGMENTS, params)]


def advance(session: Session, consumer: str, shard: int, to: Position, now: datetime) -> None:
    params = {
        "consumer": consumer,
        "shard": shard,
        "tx_id": to.tx_id,
        "segment_id": to.segment_id,
        "now": now,
    }
    session.execute(ADVANCE, params)


def lag(session: Session, consumer: str) -> Lag:
    segments, events, oldest = session.execute(LAG, {"consumer": consumer}).one()
    return Lag(int(segments), int(events), oldest)
