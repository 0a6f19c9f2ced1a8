"""The projection queue: claim jobs, load their raw events, delete them, measure the lag.

Every step runs inside the caller's transaction. On PostgreSQL jobs are claimed with
`FOR UPDATE SKIP LOCKED`, so projectors in several hub processes share the queue; a gateway
whose older job another projector holds waits for it, and each claimed gateway is held with
a transaction advisory lock, so one gateway's events are only ever projected by one
transaction at a time, in order. SQLite has one writer: one process.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.orm import Session

from hub.db.bulk import is_postgres
from hub.db.models import ProjectionJob, RawEvent

CLAIM_LIMIT = 256  # jobs per claiming query
CLAIM_QUERIES = 4  # claiming queries per round
GUESSED_JOB_EVENTS = 500  # a typical batch: the first query's size estimate
LOCK_GATEWAYS_PG = text(
    "SELECT g FROM unnest(CAST(:gateways AS text[])) AS g "
    "WHERE pg_try_advisory_xact_lock(hashtextextended('projection|' || g, 0))"
)
# Gateways with a job older than the first one claimed here: another projector holds it
# (row-locked, between its claim and its gateway lock), so this round leaves them alone.
OLDER_JOBS_PG = text(
    "SELECT DISTINCT p.gateway_id FROM projection_jobs AS p "
    "JOIN unnest(CAST(:gateways AS text[]), CAST(:first_ids AS bigint[])) AS c(g, first_id) "
    "ON p.gateway_id = c.g AND p.id < c.first_id"
)
# One index probe per job on (gateway_id, epoch, seq) in each partition. The whole event
# comes as one JSON text built by PostgreSQL (in its own process): pydantic parses it in one
# call, with no JSON made or parsed in Python.
EVENTS_OF_JOBS_PG = text(
    "SELECT e.gateway_id, e.epoch, e.seq, e.occurred_at, e.event_id, e.type, e.tenant_id, "
    "e.store_id, e.received_at, NULL, json_build_object('event_id', e.event_id, "
    "'gateway_id', e.gateway_id, 'seq', e.seq, 'occurred_at', e.occurred_at, 'type', e.type, "
    "'body', e.body)::text "
    "FROM unnest(CAST(:gateways AS text[]), CAST(:epochs AS uuid[]), "
    "CAST(:firsts AS bigint[]), CAST(:lasts AS bigint[])) AS j(g, ep, a, b) "
    "CROSS JOIN LATERAL (SELECT * FROM events WHERE gateway_id = j.g AND epoch = j.ep "
    "AND seq BETWEEN j.a AND j.b) AS e"
)


@dataclass(frozen=True)
class Job:
    id: int
    gateway_id: str
    epoch: uuid.UUID
    first_seq: int
    last_seq: int

    @property
    def events(self) -> int:
        return self.last_seq - self.first_seq + 1


@dataclass(frozen=True)
class StoredRow:
    """One row of `events`, not yet decoded."""

    gateway_id: str
    epoch: uuid.UUID
    seq: int
    occurred_at: datetime
    event_id: uuid.UUID
    type: str
    tenant_id: str
    store_id: str
    received_at: datetime
    body: Any  # parsed JSON (SQLite); None when `document` holds the event
    document: str | None = None  # the whole event as JSON text (PostgreSQL)


@dataclass(frozen=True)
class Lag:
    jobs: int
    events: int
    oldest_received_at: datetime | None


def claim(session: Session, max_events: int) -> list[Job]:
    """The oldest jobs nobody else holds, about `max_events` events (at least one job).

    Rows are locked as they are read (FOR UPDATE SKIP LOCKED), so each query asks only for
    as many jobs as the remaining budget needs at the average size seen so far: another
    projector must not find rows locked that this round will not project."""
    jobs: list[Job] = []
    events, guess = 0, GUESSED_JOB_EVENTS
    for _query in range(CLAIM_QUERIES):
        wanted = max(1, min(CLAIM_LIMIT, (max_events - events) // guess))
        stmt = select(ProjectionJob).order_by(ProjectionJob.id).limit(wanted)
        if jobs:
            stmt = stmt.where(ProjectionJob.id > jobs[-1].id)
        if is_postgres(session):
            stmt = stmt.with_for_update(skip_locked=True)
        found = [
            Job(j.id, j.gateway_id, j.epoch, j.first_seq, j.last_seq) for j in session.scalars(stmt)
        ]
        jobs += found
        events += sum(j.events for j in found)
        if len(found) < wanted or events >= max_events:
            break
        guess = max(1, events // len(jobs))
    if jobs and is_postgres(session):
        jobs = _in_order_only(session, jobs)
    return jobs


def _in_order_only(session: Session, jobs: list[Job]) -> list[Job]:
    """The jobs this transaction may project now: of gateways with no older job held by
    another projector (it goes first; checked before locking, so it can take the lock),
    and whose lock this transaction took."""
    first_ids: dict[str, int] = {}
    for job in jobs:  # in id order
        first_ids.setdefault(job.gateway_id, job.id)
    params = {"gateways": list(first_ids), "first_ids": list(first_ids.values())}
    behind = set(session.scalars(OLDER_JOBS_PG, params))
    free = sorted(set(first_ids) - behind)
    held = set(session.scalars(LOCK_GATEWAYS_PG, {"gateways": free})) if free else set()
    return [j for j in jobs if j.gateway_id in held]  # the rest: another projector's


def load_events(session: Session, jobs: Sequence[Job]) -> list[StoredRow]:
    """The raw events of `jobs`, ordered by (gateway, epoch, seq)."""
    if not jobs:
        return []
    if is_postgres(session):
        params = {
            "gateways": [j.gateway_id for j in jobs],
            "epochs": [j.epoch for j in jobs],
            "firsts": [j.first_seq for j in jobs],
            "lasts": [j.last_seq for j in jobs],
        }
        rows = [StoredRow(*r) for r in session.execute(EVENTS_OF_JOBS_PG, params)]
    else:
        t = RawEvent
        ranges = [
            and_(
                t.gateway_id == j.gateway_id,
                t.epoch == j.epoch,
                t.seq.between(j.first_seq, j.last_seq),
            )
            for j in jobs
        ]
        stmt = select(
            t.gateway_id,
            t.epoch,
            t.seq,
            t.occurred_at,
            t.event_id,
            t.type,
            t.tenant_id,
            t.store_id,
            t.received_at,
            t.body,
        ).where(or_(*ranges))
        rows = [StoredRow(*r) for r in session.execute(stmt)]
    rows.sort(key=lambda r: (r.gateway_id, str(r.epoch), r.seq))
    return rows


def delete_jobs(session: Session, jobs: Sequence[Job]) -> None:
    if jobs:
        session.execute(delete(ProjectionJob).where(ProjectionJob.id.in_([j.id for j in jobs])))


def lag(session: Session) -> Lag:
    events = func.coalesce(func.sum(ProjectionJob.last_seq - ProjectionJob.first_seq + 1), 0)
    stmt = select(func.count(), events, func.min(ProjectionJob.received_at))
    jobs, waiting, oldest = session.execute(stmt).one()
    return Lag(int(jobs), int(waiting), oldest)
