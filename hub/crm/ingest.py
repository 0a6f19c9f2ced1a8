"""Ingest service: one transaction per event batch, exactly once per (gateway, epoch, seq).

The batch transaction is the ack-critical path only: decode, registry check, claim keys,
store the raw events and queue them for the CRM projection (hub/crm/projector.py), which
runs beside ingest in its own transactions. "Committed" in an ack means stored durably."""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.crm import cache, registry
from hub.crm.batch_steps import SEQ, Origin, claim_keys, prior_outcomes, store_batch, unique_events
from hub.crm.cache_deltas import StoreDelta, deltas_for
from hub.crm.event_handlers import Where
from hub.crm.seq_ranges import compress
from hub.db import partitions
from hub.db.engine import write_transaction
from hub.db.events_storage import EventsLayout, detect_layout
from hub.db.models import OUTCOME_DEAD, DeadLetter
from hub.errors import RejectedError, StorageError
from wire.codec import decode_batch, decode_status
from wire.errors import WireError
from wire.events import Event
from wire.message_size import DEFAULT_MAX_MESSAGE_BYTES
from wire.messages import Ack, CacheDelta, EventBatch
from wire.salvage import RefusedEvent, SalvagedBatch, salvage_batch

log = logging.getLogger(__name__)
DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024
T = TypeVar("T")
_OCCURRED_AT = attrgetter("occurred_at")


@dataclass
class IngestOutcome:
    """What one batch came to. `ack` is None only when the payload named no epoch.
    `committed` events are stored and queued for the CRM projection; the customers they
    change are reported by the projector (ProjectionOutcome.touched), not here."""

    ack: Ack | None
    committed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    rejected: str | None = None  # reason, when the whole payload was dead-lettered


class IngestService:
    """The hub's write side for gateway traffic. Every public method is its own transaction;
    database failures raise StorageError (do not ack: the gateway will re-send)."""

    def __init__(
        self, session_factory: sessionmaker[Session], tenant_key: bytes, clock_skew_seconds: int
    ) -> None:
        self._sessions = session_factory
        self._tenant_key = tenant_key  # for hashing raw identifiers the hub receives
        self._skew_limit = clock_skew_seconds
        self._layout: EventsLayout | None = None
        self._months_ready: frozenset[datetime] = frozenset()  # partitions known to exist

    def commit_batch(
        self, topic_gateway_id: str, payload: bytes, received_at: datetime
    ) -> IngestOutcome:
        started = time.perf_counter()
        batch: EventBatch | SalvagedBatch
        try:
            batch = decode_batch(payload)
        except WireError as exc:
            salvaged = salvage_batch(payload)
            if salvaged is None:
                error = exc
                self._transaction(
                    lambda s: _dead_letter(
                        s, topic_gateway_id, "batch", error, payload, received_at
                    )
                )
                return IngestOutcome(ack=None, rejected=exc.reason)
            batch = salvaged
        outcome = self._transaction(
            lambda s: self._commit(s, topic_gateway_id, batch, payload, received_at)
        )
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.EVENTS.labels("committed").inc(outcome.committed)
        metrics.EVENTS.labels("duplicate").inc(outcome.duplicates)
        metrics.EVENTS.labels("dead_lettered").inc(outcome.dead_lettered)
        return outcome

    def record_status(
        self,
        topic_gateway_id: str,
        payload: bytes,
        received_at: datetime,
        *,
        retained: bool = False,
    ) -> None:
        """Apply a status message to the registry; bad or foreign ones are dead-lettered."""

        def apply(session: Session) -> None:
            try:
                status = decode_status(payload)
                gateway = registry.trusted_gateway(session, topic_gateway_id, status.gateway_id)
            except (WireError, RejectedError) as exc:
                _dead_letter(session, topic_gateway_id, "status", exc, payload, received_at)
                return
            registry.apply_status(gateway, status, received_at, self._skew_limit, retained)
            metrics.STATUS_UPDATES.inc()

        self._transaction(apply)

    def cache_delta_for(self, store_id: str, customer_ids: set[str]) -> CacheDelta:
        return self._transaction(lambda s: _delta(s, store_id, customer_ids))

    def cache_deltas_for(
        self, touched: Mapping[str, set[str]], max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    ) -> list[StoreDelta]:
        """All deltas of a projection round (store -> changed customers) in one transaction."""
        now = datetime.now(UTC)
        return self._transaction(lambda s: deltas_for(s, touched, now, max_message_bytes))

    def gateways_of_store(self, store_id: str) -> list[str]:
        return self._transaction(lambda s: registry.gateways_of_store(s, store_id))

    def _transaction(self, work: Callable[[Session], T]) -> T:
        try:
            with write_transaction(self._sessions) as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StorageError(f"ingest transaction failed: {exc}") from exc

    def _commit(
        self,
        session: Session,
        topic_gateway_id: str,
        batch: EventBatch | SalvagedBatch,
        payload: bytes,
        received_at: datetime,
    ) -> IngestOutcome:
        refused = batch.refused if isinstance(batch, SalvagedBatch) else []
        try:
            gateway = registry.trusted_gateway(session, topic_gateway_id, batch.gateway_id)
        except RejectedError as exc:
            _dead_letter(session, topic_gateway_id, "batch", exc, payload, received_at, batch)
            seqs = {e.seq for e in batch.events} | {r.seq for r in refused}
            ack = Ack(gateway_id=topic_gateway_id, epoch=batch.epoch, dead_lettered=compress(seqs))
            return IngestOutcome(ack=ack, dead_lettered=len(seqs), rejected=exc.reason)
        where = Where(gateway.tenant_id, gateway.store_id, gateway.id, received_at)
        events, repeats = unique_events(batch.events)
        if isinstance(batch, SalvagedBatch):
            repeats += batch.repeats
        self._prepare_months(session, events, received_at)
        new = store_batch(session, where, batch, events, received_at)
        new_dead = _refuse(session, topic_gateway_id, batch, refused, received_at)
        settled = new | new_dead
        seqs = set(map(SEQ, events)) | {r.seq for r in refused}
        prior = prior_outcomes(session, batch, seqs - settled) if len(settled) < len(seqs) else {}
        return _outcome(batch, new, new_dead, prior, repeats)

    def _prepare_months(self, session: Session, events: list[Event], now: datetime) -> None:
        conn = session.connection()
        if self._layout is None:
            self._layout = detect_layout(conn)
        if self._layout is not EventsLayout.PARTITIONED:
            return
        months = partitions.months_to_prepare(map(_OCCURRED_AT, events), now)
        if not months - self._months_ready:  # no catalog query per batch for known months
            return
        created = partitions.ensure_month_partitions(conn, months)
        if created:
            log.info("created event partitions %s", created)
        else:  # all of them were there, committed: safe to remember
            self._months_ready = self._months_ready | months


def _refuse(
    session: Session,
    topic_gateway_id: str,
    batch: Origin,
    refused: list[RefusedEvent],
    received_at: datetime,
) -> set[int]:
    """Claim the seqs of refused events as dead-lettered; each new one leaves its own dead
    letter (kind "event"). A re-send finds the claims and is acked the same, no new letter."""
    by_seq = {r.seq: r for r in refused}
    new = claim_keys(session, batch, sorted(by_seq), received_at, OUTCOME_DEAD)
    for seq in sorted(new):
        r = by_seq[seq]
        error = WireError(r.reason, f"seq {seq}: {r.detail}")
        _dead_letter(session, topic_gateway_id, "event", error, r.raw, received_at, batch, seq=seq)
    return new


def _outcome(
    batch: Origin, new: set[int], new_dead: set[int], prior: dict[int, str], repeats: int
) -> IngestOutcome:
    # A re-sent seq is acked as it was the first time: committed, or dead-lettered when the
    # hub refused that event alone (a projection failure is a dead letter of kind
    # "projection" and the event stays committed).
    dead = new_dead | {s for s, o in prior.items() if o == OUTCOME_DEAD}
    ack = Ack(
        gateway_id=batch.gateway_id,
        epoch=batch.epoch,
        committed=compress(new | (set(prior) - dead)),
        dead_lettered=compress(dead),
    )
    return IngestOutcome(
        ack=ack, committed=len(new), duplicates=len(prior) + repeats, dead_lettered=len(new_dead)
    )


def _delta(session: Session, store_id: str, customer_ids: set[str]) -> CacheDelta:
    version = cache.bump_version(session, store_id, datetime.now(UTC))
    entries = cache.cached_customers(session, customer_ids)
    return CacheDelta(store_id=store_id, version=version, base_version=version - 1, upserts=entries)


def _dead_letter(
    session: Session,
    topic_gateway_id: str,
    kind: str,
    exc: WireError | RejectedError,
    payload: bytes,
    received_at: datetime,
    batch: Origin | None = None,
    seq: int | None = None,
) -> None:
    log.error("%s dead-lettered from %s: %s %s", kind, topic_gateway_id, exc.reason, exc.detail)
    metrics.DEAD_LETTERS.labels(kind, exc.reason).inc()
    session.add(
        DeadLetter(
            received_at=received_at,
            gateway_id=topic_gateway_id,
            kind=kind,
            epoch=batch.epoch if batch else None,
            seq=seq,
            reason=exc.reason,
            detail=_with_length(exc.detail, payload),
            # Kept for diagnosis and replay, bounded: a hostile 4 MiB payload per message
            # must not fill the database.
            payload=payload[:DEAD_LETTER_PAYLOAD_BYTES],
        )
    )


def _with_length(detail: str, payload: bytes) -> str:
    # A detail quoting hostile input must still be storable: PostgreSQL text takes no lone
    # surrogate (json.loads lets "\udXXX" through), so those become backslash escapes.
    detail = detail.encode("utf-8", "backslashreplace").decode()
    if len(payload) <= DEAD_LETTER_PAYLOAD_BYTES:
        return detail[:2000]
    note = f" [payload {len(payload)} bytes, first {DEAD_LETTER_PAYLOAD_BYTES} kept]"
    return detail[: 2000 - len(note)] + note
