"""The steps of committing one decoded batch. All run inside the caller's transaction."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from hub import metrics
from hub.crm.crm_batch import apply_batch
from hub.crm.event_handlers import Where, apply_one
from hub.crm.identity_batch import IdentityRace
from hub.db.bulk import copy_rows, is_postgres
from hub.db.dialect import insert_for
from hub.db.models import OUTCOME_COMMITTED, OUTCOME_DEAD, DeadLetter, EventKey, RawEvent
from hub.errors import EventRejected
from wire.events import Event
from wire.messages import EventBatch

log = logging.getLogger(__name__)
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
RACE_RETRIES = 3


@dataclass
class Settled:
    """Per seq of a batch: what happened now, and what had happened before (duplicates)."""

    committed: set[int] = field(default_factory=set)
    dead: dict[int, tuple[str, str]] = field(default_factory=dict)  # seq -> (reason, detail)
    prior: dict[int, str] = field(default_factory=dict)  # seq -> outcome of the first delivery
    repeats: int = 0  # the same seq more than once inside this batch
    changed_customers: set[str] = field(default_factory=set)


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


def apply_crm(session: Session, where: Where, events: list[Event], settled: Settled) -> None:
    """The whole batch set-based in one savepoint (crm_batch.py). If the database refuses
    it, roll that back and redo event by event, each in its own savepoint, so a bad event
    is dead-lettered alone. Losing an identity race to another worker just resolves again."""
    for _attempt in range(RACE_RETRIES):
        try:
            with session.begin_nested():
                result = apply_batch(session, where, events)
        except IdentityRace as exc:
            metrics.IDENTITY_RACES.inc()
            log.info("identity race lost (%s), resolving the batch again", exc)
            continue
        except (IntegrityError, DataError) as exc:
            log.warning("batch CRM failed (%s), redoing it event by event", exc.orig)
            break
        except ValueError as exc:  # a value the contract admits but the CRM cannot hold
            log.warning("batch CRM refused a value (%s), redoing it event by event", exc)
            break
        settled.committed |= result.committed
        settled.dead.update(result.rejected)
        settled.changed_customers |= result.changed_customers
        return
    _apply_one_by_one(session, where, events, settled)


def _apply_one_by_one(
    session: Session, where: Where, events: list[Event], settled: Settled
) -> None:
    for event in events:
        try:
            with session.begin_nested():
                settled.changed_customers |= apply_one(session, where, event)
        except EventRejected as exc:
            settled.dead[event.seq] = (exc.reason, exc.detail)
        except (IntegrityError, DataError) as exc:
            settled.dead[event.seq] = ("crm constraint violated", str(exc.orig)[:2000])
        except ValueError as exc:
            settled.dead[event.seq] = ("invalid event", str(exc)[:2000])
        else:
            settled.committed.add(event.seq)


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


def dead_letter_events(
    session: Session,
    topic_gateway_id: str,
    batch: EventBatch,
    events: list[Event],
    settled: Settled,
    received_at: datetime,
) -> None:
    if not settled.dead:
        return
    session.execute(
        update(EventKey)
        .where(
            EventKey.gateway_id == batch.gateway_id,
            EventKey.epoch == batch.epoch,
            EventKey.seq.in_(sorted(settled.dead)),
        )
        .values(outcome=OUTCOME_DEAD)
    )
    for event in events:
        if event.seq not in settled.dead:
            continue
        reason, detail = settled.dead[event.seq]
        metrics.DEAD_LETTERS.labels("event", reason).inc()
        log.error(
            "event dead-lettered: %s seq %s: %s %s", batch.gateway_id, event.seq, reason, detail
        )
        session.add(
            DeadLetter(
                received_at=received_at,
                gateway_id=topic_gateway_id,
                kind="event",
                epoch=batch.epoch,
                seq=event.seq,
                reason=reason,
                detail=detail,
                payload=event.model_dump_json().encode(),
            )
        )
