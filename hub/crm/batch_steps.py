"""The steps of committing one decoded batch on the ack-critical path: keys, raw events and
projection jobs. All run inside the caller's transaction; the CRM follows in the projector.
PostgreSQL takes them as one statement (one round trip per batch); SQLite as three."""

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Protocol
from uuid import UUID

from pydantic import TypeAdapter
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hub.crm.event_handlers import Where
from hub.crm.seq_ranges import compress
from hub.db.bulk import driver_execute, is_postgres
from hub.db.dialect import insert_for
from hub.db.models import OUTCOME_COMMITTED, EventKey, ProjectionJob, RawEvent
from wire.events import Event, EventBody

# On PostgreSQL the whole ack-critical write is this one statement: claim the keys, store
# the events whose keys were new, queue one projection job per run of consecutive new seqs.
# The events travel column by column (arrays, and the bodies as one JSON array), so Python
# formats no row; data-modifying CTEs see each other's RETURNING, and all of them run.
STORE_BATCH_PG = """
WITH claimed AS (
    INSERT INTO event_keys (gateway_id, epoch, seq, outcome, received_at)
    SELECT %(gateway_id)s, %(epoch)s, s, %(outcome)s, %(received_at)s
    FROM unnest(%(seqs)s::bigint[]) AS s ORDER BY s
    ON CONFLICT DO NOTHING
    RETURNING seq
), stored AS (
    INSERT INTO events (gateway_id, epoch, tenant_id, store_id, received_at,
                        seq, occurred_at, event_id, type, body)
    SELECT %(gateway_id)s, %(epoch)s, %(tenant_id)s, %(store_id)s, %(received_at)s,
           e.seq, e.occurred_at, e.event_id, e.type, e.body
    FROM ROWS FROM (
        unnest(%(seqs)s::bigint[]),
        unnest(%(occurred)b::timestamptz[]),
        unnest(%(ids)b::uuid[]),
        unnest(%(types)s::text[]),
        jsonb_array_elements(convert_from(%(bodies)b, 'UTF8')::jsonb)
    ) AS e(seq, occurred_at, event_id, type, body)
    WHERE e.seq IN (SELECT seq FROM claimed)
    RETURNING seq
), runs AS (  -- consecutive seqs share seq - row_number()
    SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run FROM stored
), queued AS (
    INSERT INTO projection_jobs (gateway_id, epoch, first_seq, last_seq, received_at)
    SELECT %(gateway_id)s, %(epoch)s, min(seq), max(seq), %(received_at)s
    FROM runs GROUP BY run ORDER BY min(seq)
)
SELECT seq FROM stored
"""
BODIES: TypeAdapter[list[EventBody]] = TypeAdapter(list[EventBody])
SEQ = attrgetter("seq")


class Origin(Protocol):
    """Whose outbox a batch came from: a decoded EventBatch, or a salvaged one."""

    @property
    def gateway_id(self) -> str: ...
    @property
    def epoch(self) -> UUID: ...


def _array_literal(values: list[str]) -> str:
    # Only for values that need no quoting: decimal seqs and event type names.
    return "{" + ",".join(values) + "}"


def unique_events(batch_events: Sequence[Event]) -> tuple[list[Event], int]:
    """The first event of each seq, in seq order, and how many repeats were dropped."""
    seqs = list(map(SEQ, batch_events))
    if len(set(seqs)) == len(seqs) and seqs == sorted(seqs):  # what gateways send
        return list(batch_events), 0
    by_seq: dict[int, Event] = {}
    for event in batch_events:
        by_seq.setdefault(event.seq, event)
    return [by_seq[s] for s in sorted(by_seq)], len(batch_events) - len(by_seq)


def store_batch(
    session: Session, where: Where, batch: Origin, events: list[Event], received_at: datetime
) -> set[int]:
    """Claim the keys of `events` (unique seqs), store the events new to the hub and queue
    them for the CRM projection; returns the new seqs. Keys go in seq order, so two workers
    handed the same batch queue behind each other, never deadlock."""
    if not events:
        return set()
    if is_postgres(session):
        params = {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "tenant_id": where.tenant_id,
            "store_id": where.store_id,
            "received_at": received_at,
            "outcome": OUTCOME_COMMITTED,
            "seqs": _array_literal(list(map(str, map(SEQ, events)))),
            "occurred": [e.occurred_at for e in events],
            "ids": [e.event_id for e in events],
            "types": _array_literal([e.type for e in events]),
            "bodies": BODIES.dump_json([e.body for e in events]),
        }
        return {row[0] for row in driver_execute(session, STORE_BATCH_PG, params)}
    new = claim_keys(session, batch, list(map(SEQ, events)), received_at)
    _insert_raw(session, where, batch, [e for e in events if e.seq in new], received_at)
    _enqueue_projection(session, batch, new, received_at)
    return new


def claim_keys(
    session: Session,
    batch: Origin,
    seqs: list[int],
    received_at: datetime,
    outcome: str = OUTCOME_COMMITTED,
) -> set[int]:
    """Claim (gateway, epoch, seq) for each of `seqs` (in order); returns those new to the hub.
    Refused events claim theirs with OUTCOME_DEAD, so a re-send is acked the same again."""
    if not seqs:
        return set()
    rows = [
        {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "seq": seq,
            "outcome": outcome,
            "received_at": received_at,
        }
        for seq in seqs
    ]
    stmt = insert_for(session, EventKey).on_conflict_do_nothing().returning(EventKey.seq)
    return set(session.scalars(stmt, rows))


def prior_outcomes(session: Session, batch: Origin, seqs: set[int]) -> dict[int, str]:
    if not seqs:
        return {}
    stmt = select(EventKey.seq, EventKey.outcome).where(
        EventKey.gateway_id == batch.gateway_id,
        EventKey.epoch == batch.epoch,
        EventKey.seq.in_(sorted(seqs)),
    )
    return {seq: outcome for seq, outcome in session.execute(stmt)}


def _insert_raw(
    session: Session, where: Where, batch: Origin, events: list[Event], received_at: datetime
) -> None:
    rows = [
        {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "seq": e.seq,
            "occurred_at": e.occurred_at,
            "event_id": e.event_id,
            "type": e.type,
            "tenant_id": where.tenant_id,
            "store_id": where.store_id,
            "received_at": received_at,
            "body": e.body.model_dump(mode="json"),
        }
        for e in events
    ]
    if rows:
        session.execute(insert_for(session, RawEvent), rows)


def _enqueue_projection(
    session: Session, batch: Origin, seqs: set[int], received_at: datetime
) -> None:
    """One projection job per contiguous range of the seqs just stored (usually one)."""
    rows = [
        {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "first_seq": r.first,
            "last_seq": r.last,
            "received_at": received_at,
        }
        for r in compress(seqs)
    ]
    if rows:
        session.execute(insert(ProjectionJob), rows)
