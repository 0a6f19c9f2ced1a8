"""A consumer of the committed event stream, and the runner that feeds it.

A consumer is a name, a number of shards and one method: `handle(session, events)` applies
a run of decoded events (in stream order) inside the runner's transaction and says which
of them it refused. The runner does the rest, the same for every consumer: claim a shard,
read its next segments, decode the events, call `handle`, dead-letter what was refused
(the event stays committed, and the consumer moves past it), move the cursor, commit.
A crash before the commit leaves the cursor where it was: the events are applied again,
once. Adding a derived table is one consumer module and one line in
hub/projection/registry.py; ingest does not change.
"""

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.db.event_origin import Where
from hub.db.models import DeadLetter
from hub.errors import StorageError
from hub.projection import stream
from hub.projection.stream import Lag, StoredEvent
from wire.events import Event, EventAdapter

log = logging.getLogger(__name__)
DEFAULT_MAX_EVENTS = 5000
T = TypeVar("T")


@dataclass(frozen=True)
class StreamEvent:
    where: Where
    epoch: uuid.UUID
    event: Event


@dataclass
class Handled:
    """What a consumer made of the events it was given. `refused`: position -> (reason,
    detail); `touched`: store -> customers whose cached view changed (cache deltas)."""

    refused: dict[int, tuple[str, str]] = field(default_factory=dict)
    touched: dict[str, set[str]] = field(default_factory=dict)


class StreamConsumer(Protocol):
    name: str  # the cursor's key: never rename a consumer that has run
    shards: int  # fixed once the consumer has run
    dead_letter_kind: str

    def handle(self, session: Session, events: Sequence[StreamEvent]) -> Handled: ...


@dataclass
class RoundOutcome:
    segments: int = 0
    applied: int = 0
    dead_lettered: int = 0
    touched: dict[str, set[str]] = field(default_factory=dict)

    def add(self, other: "RoundOutcome") -> None:
        self.segments += other.segments
        self.applied += other.applied
        self.dead_lettered += other.dead_lettered
        for store_id, customers in other.touched.items():
            self.touched.setdefault(store_id, set()).update(customers)


Decoded = list[tuple[StoredEvent, StreamEvent]]


@dataclass(frozen=True)
class _Refused:
    row: StoredEvent
    reason: str
    detail: str


class ConsumerRunner:
    """Every public method is its own transaction; database failures raise StorageError
    (nothing is lost: the cursor did not move)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        consumer: StreamConsumer,
        max_events: int = DEFAULT_MAX_EVENTS,
    ) -> None:
        self._sessions = session_factory
        self.consumer = consumer
        self.max_events = max_events
        self._next_shard = 0
        self._registered = False

    @property
    def name(self) -> str:
        return self.consumer.name

    def run_once(self) -> RoundOutcome:
        """One round: the first shard (in turn) that is free and has events, up to
        `max_events` of them. `segments == 0`: nothing to do (or nothing free)."""
        if not self._registered:
            now = datetime.now(UTC)
            self._transaction(lambda s: stream.register(s, self.name, self.consumer.shards, now))
            self._registered = True
        shards = self.consumer.shards
        for turn in range(shards):
            shard = (self._next_shard + turn) % shards
            started = time.perf_counter()
            outcome = self._transaction(partial(self._round, shard=shard))
            if outcome.segments:
                self._next_shard = (shard + 1) % shards
                self._count(outcome, time.perf_counter() - started)
                return outcome
        return RoundOutcome()

    def drain(self, max_rounds: int = 10_000) -> RoundOutcome:
        """Until the stream is read to its end (tests, the demo, catching up)."""
        total = RoundOutcome()
        for _round in range(max_rounds):
            outcome = self.run_once()
            if not outcome.segments:
                break
            total.add(outcome)
        return total

    def lag(self) -> Lag:
        return self._transaction(lambda s: stream.lag(s, self.name))

    def _transaction(self, work: Callable[[Session], T]) -> T:
        try:
            with self._sessions.begin() as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StorageError(f"{self.name} stream transaction failed: {exc}") from exc

    def _round(self, session: Session, shard: int) -> RoundOutcome:
        position = stream.claim(session, self.name, shard)
        if position is None:
            return RoundOutcome()
        segments = stream.next_segments(session, self.name, shard, position, self.max_events)
        if not segments:
            return RoundOutcome()
        rows = stream.load_events(session, segments)
        decoded, refused = _decode(rows)
        handled = self.consumer.handle(session, [event for _row, event in decoded])
        for index, (reason, detail) in sorted(handled.refused.items()):
            refused.append(_Refused(decoded[index][0], reason, detail))
        self._dead_letter(session, refused)
        stream.advance(session, self.name, shard, segments[-1].position, datetime.now(UTC))
        return RoundOutcome(
            segments=len(segments),
            applied=len(decoded) - len(handled.refused),
            dead_lettered=len(refused),
            touched=handled.touched,
        )

    def _count(self, outcome: RoundOutcome, seconds: float) -> None:
        metrics.STREAM_ROUND_SECONDS.labels(self.name).observe(seconds)
        metrics.STREAM_EVENTS.labels(self.name, "applied").inc(outcome.applied)
        metrics.STREAM_EVENTS.labels(self.name, "dead_lettered").inc(outcome.dead_lettered)

    def _dead_letter(self, session: Session, refused: list[_Refused]) -> None:
        kind = self.consumer.dead_letter_kind
        for r in refused:
            metrics.DEAD_LETTERS.labels(kind, r.reason).inc()
            log.error(
                "%s dead-lettered %s seq %s: %s %s",
                self.name,
                r.row.gateway_id,
                r.row.seq,
                r.reason,
                r.detail,
            )
            session.add(
                DeadLetter(
                    received_at=r.row.received_at,
                    gateway_id=r.row.gateway_id,
                    tenant_id=r.row.tenant_id,
                    kind=kind,
                    epoch=r.row.epoch,
                    seq=r.row.seq,
                    reason=r.reason[:200],
                    detail=r.detail[:2000],
                    payload=r.row.document.encode(),
                )
            )


def _decode(rows: list[StoredEvent]) -> tuple[Decoded, list[_Refused]]:
    """Rows back into wire events. They were validated on the way in; one that no longer
    validates (an edited row, a contract change) is dead-lettered, not retried forever."""
    decoded: Decoded = []
    refused: list[_Refused] = []
    for row in rows:
        try:
            event = EventAdapter.validate_json(row.document)
        except ValidationError as exc:
            detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in exc.errors()[:5])
            refused.append(_Refused(row, "undecodable stored event", detail[:2000]))
            continue
        where = Where(row.tenant_id, row.store_id, row.gateway_id, row.received_at)
        decoded.append((row, StreamEvent(where, row.epoch, event)))
    return decoded, refused
