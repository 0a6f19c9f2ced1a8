"""Ingest service: one transaction per event batch, exactly once per (gateway, epoch, seq).

The batch transaction is the ack-critical path only: decode, registry check, claim keys,
store the raw events and queue them for the CRM projection (hub/crm/projector.py), which
runs beside ingest in its own transactions. "Committed" in an ack means stored durably."""

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.db import partitions
from hub.db.event_origin import Where
from hub.db.events_storage import EventsLayout, detect_layout
from hub.db.models import OUTCOME_DEAD, DeadLetter
from hub.db.stream_writers import take_writer_lock
from hub.errors import RejectedError, StorageError
from hub.gateways import cache, registry
from hub.gateways import status as gateway_status
from hub.gateways.cache_deltas import StoreDelta, deltas_for
from hub.ingest import dead_letters
from hub.ingest.batch_outcome import (
    Conflict,
    IngestOutcome,
    conflicts_of,
    settled_ack,
    whole_ack,
)
from hub.ingest.batch_steps import Stored, store_batch, unique_events
from hub.ingest.dead_letters import DEFAULT_POLICY, DeadLetterPolicy
from hub.ingest.seq_claims import Origin, claim_keys, prior_claims, raw_digest
from wire.codec import decode_batch, decode_status
from wire.errors import WireError
from wire.events import Event
from wire.message_size import DEFAULT_MAX_MESSAGE_BYTES
from wire.messages import CacheDelta, EventBatch
from wire.redaction import redact_payload
from wire.salvage import RefusedEvent, SalvagedBatch, SeqlessEvent, remnant_of, salvage_batch

log = logging.getLogger(__name__)
DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024
PRUNE_EVERY_S = 3600.0  # dead-letter retention: at most one prune an hour, after a status
T = TypeVar("T")
_OCCURRED_AT = attrgetter("occurred_at")


class IngestService:
    """The hub's write side for gateway traffic. Every public method is its own transaction;
    database failures raise StorageError (do not ack: the gateway will re-send)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tenant_key: bytes,
        clock_skew_seconds: int,
        letters: DeadLetterPolicy = DEFAULT_POLICY,
    ) -> None:
        self._sessions = session_factory
        self._tenant_key = tenant_key  # for hashing raw identifiers the hub receives
        self._skew_limit = clock_skew_seconds
        self._letters = letters
        self._cap = letters.bytes_per_gateway_day
        self._pruned_at = -PRUNE_EVERY_S  # monotonic; the first status prunes
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
                outcome = self._transaction(
                    lambda s: _refuse_whole(
                        s, topic_gateway_id, error, payload, received_at, self._cap
                    )
                )
                metrics.EVENTS.labels("dead_lettered").inc(outcome.dead_lettered)
                return outcome
            batch = salvaged
        outcome = self._transaction(
            lambda s: self._commit(s, topic_gateway_id, batch, payload, received_at)
        )
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.EVENTS.labels("committed").inc(outcome.committed)
        metrics.EVENTS.labels("duplicate").inc(outcome.duplicates)
        metrics.EVENTS.labels("dead_lettered").inc(outcome.dead_lettered)
        metrics.EVENTS.labels("conflict").inc(outcome.conflicts)
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
                _dead_letter(
                    session, topic_gateway_id, "status", exc, payload, received_at, cap=self._cap
                )
                return
            gateway_status.apply_status(gateway, status, received_at, self._skew_limit, retained)
            metrics.STATUS_UPDATES.inc()

        self._transaction(apply)
        if time.monotonic() - self._pruned_at >= PRUNE_EVERY_S:  # statuses come to one process
            try:
                self.prune_dead_letters(received_at)
            except StorageError as exc:  # the status is applied; the next hour tries again
                log.error("dead-letter retention: prune failed: %s", exc)

    def prune_dead_letters(self, now: datetime) -> int:
        """Delete dead letters older than the retention; returns how many."""
        self._pruned_at = time.monotonic()
        retention = self._letters.retention_days
        gone = self._transaction(lambda s: dead_letters.prune(s, now, retention))
        if gone:
            log.info("deleted %d dead letters older than %d days", gone, retention)
        return gone

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
            with self._sessions.begin() as session:
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
        take_writer_lock(session)  # before anything gives this transaction an id
        salvaged = batch if isinstance(batch, SalvagedBatch) else None
        refused = salvaged.refused if salvaged else []
        seqless = salvaged.seqless if salvaged else []
        try:
            gateway = registry.trusted_gateway(session, topic_gateway_id, batch.gateway_id)
        except RejectedError as exc:
            _dead_letter(
                session, topic_gateway_id, "batch", exc, payload, received_at, batch, cap=self._cap
            )
            seqs = {e.seq for e in batch.events} | {r.seq for r in refused}
            ack = whole_ack(topic_gateway_id, batch.epoch, seqs, exc.reason, exc.detail)
            return IngestOutcome(ack=ack, dead_lettered=len(seqs), rejected=exc.reason)
        where = Where(gateway.tenant_id, gateway.store_id, gateway.id, received_at)
        unique = unique_events(batch.events)
        self._prepare_months(session, unique.events, received_at)
        stored = store_batch(session, where, batch, unique.events, received_at)
        dead = _refuse(session, topic_gateway_id, batch, refused, received_at, self._cap)
        conflicts = conflicts_of(unique, stored, refused, dead, salvaged)
        _dead_letter_each(session, topic_gateway_id, batch, conflicts, received_at, self._cap)
        _dead_letter_each(session, topic_gateway_id, batch, seqless, received_at, self._cap)
        repeats = unique.repeats + (salvaged.repeats if salvaged else 0)
        return IngestOutcome(
            ack=settled_ack(batch, stored, dead, conflicts, seqless),
            committed=len(stored.new),
            duplicates=sum(p.same for p in {**stored.prior, **dead.prior}.values()) + repeats,
            dead_lettered=len(dead.new) + len(seqless),
            conflicts=len(conflicts),
        )

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
    cap: int,
) -> Stored:
    """Claim the seqs of refused events as dead-lettered; each new one leaves its own dead
    letter (kind "event"). A re-send finds the claims and is acked the same, no new letter."""
    by_seq = {r.seq: r for r in refused}
    digests = {r.seq: raw_digest(r.raw) for r in refused}
    new = claim_keys(session, batch, digests, received_at, OUTCOME_DEAD)
    for seq in sorted(new):
        r = by_seq[seq]
        error = WireError(r.reason, f"seq {seq}: {r.detail}")
        _dead_letter(
            session, topic_gateway_id, "event", error, r.raw, received_at, batch, seq, cap=cap
        )
    before = {seq: digest for seq, digest in digests.items() if seq not in new}
    return Stored(new, prior_claims(session, batch, before))


def _dead_letter_each(
    session: Session,
    topic_gateway_id: str,
    batch: Origin,
    found: Sequence[Conflict | SeqlessEvent],
    received_at: datetime,
    cap: int,
) -> None:
    """Conflicts (kind "conflict") and events without a valid seq (kind "event"): neither
    has a claim to tell a re-send by, so the letter's digest does; a re-send leaves none."""
    for item in found:
        if isinstance(item, Conflict):
            kind, seq, error = "conflict", item.seq, WireError("conflict", item.detail)
        else:
            kind, seq, error = "event", None, WireError(item.reason, item.detail)
        digest = raw_digest(item.raw)
        _dead_letter(
            session, topic_gateway_id, kind, error, item.raw, received_at, batch, seq,
            cap=cap, digest=digest,
        )  # fmt: skip


def _refuse_whole(
    session: Session,
    topic_gateway_id: str,
    exc: WireError,
    payload: bytes,
    at: datetime,
    cap: int,
) -> IngestOutcome:
    """A payload that cannot be read event by event: one dead letter (kind "batch"), and an
    answer to a gateway the hub knows, with what seqs it could read."""
    _dead_letter(session, topic_gateway_id, "batch", exc, payload, at, cap=cap)
    if not registry.is_known(session, topic_gateway_id):
        return IngestOutcome(ack=None, rejected=exc.reason)
    remnant = remnant_of(payload)
    ack = whole_ack(topic_gateway_id, remnant.epoch, set(remnant.seqs), exc.reason, exc.detail)
    lettered = len(remnant.seqs) if ack.dead_lettered else 0
    return IngestOutcome(ack=ack, dead_lettered=lettered, rejected=exc.reason)


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
    *,
    cap: int,
    digest: bytes | None = None,
) -> None:
    """Keep a dead letter, within the gateway's daily byte cap (past it: counted, dropped).
    With a `digest`, none if the same letter is kept already."""
    epoch = batch.epoch if batch else None
    if digest is not None and dead_letters.already_kept(
        session, topic_gateway_id, epoch, seq, kind, digest
    ):
        return
    detail = _with_length(exc.detail, payload)
    size = min(len(payload), DEAD_LETTER_PAYLOAD_BYTES) + len(detail.encode())
    if not dead_letters.admit(session, topic_gateway_id, received_at, size, cap):
        dead_letters.count_dropped(kind)
        return
    log.error("%s dead-lettered from %s: %s %s", kind, topic_gateway_id, exc.reason, exc.detail)
    metrics.DEAD_LETTERS.labels(kind, exc.reason).inc()
    kept = payload[:DEAD_LETTER_PAYLOAD_BYTES]
    session.add(
        DeadLetter(
            received_at=received_at,
            gateway_id=topic_gateway_id,
            kind=kind,
            epoch=epoch,
            seq=seq,
            reason=exc.reason,
            detail=detail,
            # Kept for diagnosis and replay, bounded: a hostile 4 MiB payload per message
            # must not fill the database; never with a raw ID or phone number in it.
            payload=redact_payload(kept)[:DEAD_LETTER_PAYLOAD_BYTES],
            digest=digest,
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
