"""The steps of committing one decoded batch on the ack-critical path: keys, raw events and
projection jobs. All run inside the caller's transaction; the CRM follows in the projector."""

from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from hub.crm.event_handlers import Where
from hub.crm.seq_ranges import compress
from hub.db.bulk import copy_rows, is_postgres
from hub.db.dialect import insert_for
from hub.db.models import OUTCOME_COMMITTED, EventKey, ProjectionJob, RawEvent
from wire.events import Event
from wire.messages import EventBatch

CLAIM_KEYS_PG = text(
    "INSERT INTO event_keys (gateway_id, epoch, seq, outcome, received_at) "
    "SELECT :gateway_id, :epoch, s, :outcome, :received_at "
    "FROM unnest(CAST(:seqs AS bigint[])) AS s ORDER BY s "
    "ON CONFLICT DO NOTHING RETURNING seq"
)
RAW_COLUMNS = (
    "gateway_id",
    "epoch",
    "tenant_id",
    "store_id",
    "received_at",
    "seq",
    "occurred_at",
    "event_id",
    "type",
    "body",
)


def unique_events(batch: EventBatch) -> tuple[list[Event], int]:
    """The first event of each seq, in seq order, and how many repeats were dropped."""
    by_seq: dict[int, Event] = {}
    for event in batch.events:
        by_seq.setdefault(event.seq, event)
    return [by_seq[s] for s in sorted(by_seq)], len(batch.events) - len(by_seq)


def claim_keys(
    session: Session, batch: EventBatch, events: list[Event], received_at: datetime
) -> set[int]:
    """Insert-if-absent the idempotency keys; the seqs returned are new to the hub. Keys go
    in seq order, so two workers handed the same batch queue behind each other, never
    deadlock."""
    if is_postgres(session):  # one array parameter instead of five per row
        params = {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "seqs": [e.seq for e in events],
            "outcome": OUTCOME_COMMITTED,
            "received_at": received_at,
        }
        return set(session.scalars(CLAIM_KEYS_PG, params))
    rows = [
        {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "seq": e.seq,
            "outcome": OUTCOME_COMMITTED,
            "received_at": received_at,
        }
        for e in events
    ]
    stmt = insert_for(session, EventKey).on_conflict_do_nothing().returning(EventKey.seq)
    return set(session.scalars(stmt, rows))


def prior_outcomes(session: Session, batch: EventBatch, seqs: set[int]) -> dict[int, str]:
    if not seqs:
        return {}
    stmt = select(EventKey.seq, EventKey.outcome).where(
        EventKey.gateway_id == batch.gateway_id,
        EventKey.epoch == batch.epoch,
        EventKey.seq.in_(sorted(seqs)),
    )
    return {seq: outcome for seq, outcome in session.execute(stmt)}


def insert_raw(
    session: Session, where: Where, batch: EventBatch, events: list[Event], received_at: datetime
) -> None:
    if is_postgres(session):
        values = (batch.gateway_id, batch.epoch, where.tenant_id, where.store_id, received_at)
        copy_rows(
            session,
            "events",
            RAW_COLUMNS,
            [
                (*values, e.seq, e.occurred_at, e.event_id, e.type, e.body.model_dump_json())
                for e in events
            ],
        )
        return
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


def enqueue_projection(
    session: Session, batch: EventBatch, seqs: set[int], received_at: datetime
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
