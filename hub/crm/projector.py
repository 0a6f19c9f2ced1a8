"""The CRM projection: committed raw events -> identities, customers, purchases, touchpoints.

Ingest stores events and queues a projection job in the batch's transaction, then acks.
The projector runs beside it (DESIGN: rules and projections run beside ingest, never inside
it). Each `project_once` is one transaction: claim jobs, load their events from `events` in
(gateway, epoch, seq) order, apply the set-based CRM, dead-letter what fails (kind
"projection", with the reason), delete the jobs. Deleting the jobs in the same transaction
as the CRM writes is what makes the projection exactly once: a crash before the commit
leaves the jobs, and the events are projected again, once.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.crm import cache, projection_jobs
from hub.crm.event_handlers import Where
from hub.crm.projection_apply import apply_crm
from hub.crm.projection_jobs import Lag, StoredRow
from hub.db.engine import write_transaction
from hub.db.models import DeadLetter
from hub.errors import StorageError
from wire.events import Event, EventAdapter

log = logging.getLogger(__name__)
DEFAULT_MAX_EVENTS = 5000
T = TypeVar("T")


@dataclass
class ProjectionOutcome:
    """What projection rounds came to. `touched`: store -> customers whose cached view
    changed (the consumer publishes cache deltas for them)."""

    jobs: int = 0
    projected: int = 0
    dead_lettered: int = 0
    touched: dict[str, set[str]] = field(default_factory=dict)

    def add(self, other: "ProjectionOutcome") -> None:
        self.jobs += other.jobs
        self.projected += other.projected
        self.dead_lettered += other.dead_lettered
        for store_id, customers in other.touched.items():
            self.touched.setdefault(store_id, set()).update(customers)


@dataclass(frozen=True)
class _Failed:
    row: StoredRow
    reason: str
    detail: str
    payload: bytes


class CrmProjector:
    """Every public method is its own transaction; database failures raise StorageError
    (nothing is lost: the jobs stay queued)."""

    def __init__(
        self, session_factory: sessionmaker[Session], max_events: int = DEFAULT_MAX_EVENTS
    ) -> None:
        self._sessions = session_factory
        self.max_events = max_events

    def project_once(self) -> ProjectionOutcome:
        """One round of up to `max_events` events; `jobs == 0` means there was nothing
        (or nothing this projector may take now)."""
        started = time.perf_counter()
        outcome = self._transaction(self._project)
        if outcome.jobs:
            metrics.PROJECTION_SECONDS.observe(time.perf_counter() - started)
            metrics.PROJECTED.labels("projected").inc(outcome.projected)
            metrics.PROJECTED.labels("dead_lettered").inc(outcome.dead_lettered)
        return outcome

    def drain(self, max_rounds: int = 10_000) -> ProjectionOutcome:
        """Project until the queue is empty (tests, the demo, catching up after a burst)."""
        total = ProjectionOutcome()
        for _round in range(max_rounds):
            outcome = self.project_once()
            if not outcome.jobs:
                break
            total.add(outcome)
        return total

    def lag(self) -> Lag:
        return self._transaction(projection_jobs.lag)

    def _transaction(self, work: Callable[[Session], T]) -> T:
        try:
            with write_transaction(self._sessions) as session:
                return work(session)
        except SQLAlchemyError as exc:
            raise StorageError(f"projection transaction failed: {exc}") from exc

    def _project(self, session: Session) -> ProjectionOutcome:
        jobs = projection_jobs.claim(session, self.max_events)
        if not jobs:
            return ProjectionOutcome()
        rows = projection_jobs.load_events(session, jobs)
        decoded, failed = _decode(rows)
        items = [(_where(row), event) for row, event in decoded]
        applied = apply_crm(session, items)
        for position, (reason, detail) in sorted(applied.dead.items()):
            row, event = decoded[position]
            failed.append(_Failed(row, reason, detail, event.model_dump_json().encode()))
        _dead_letter(session, failed)
        projection_jobs.delete_jobs(session, jobs)
        return ProjectionOutcome(
            jobs=len(jobs),
            projected=len(applied.committed),
            dead_lettered=len(failed),
            touched=cache.stores_caching(session, applied.changed_customers),
        )


def _where(row: StoredRow) -> Where:
    return Where(row.tenant_id, row.store_id, row.gateway_id, row.received_at)


def _decode(rows: list[StoredRow]) -> tuple[list[tuple[StoredRow, Event]], list[_Failed]]:
    """Rows back into wire events. They were validated on the way in; one that no longer
    validates (an edited row, a contract change) is dead-lettered, not retried forever."""
    decoded: list[tuple[StoredRow, Event]] = []
    failed: list[_Failed] = []
    for row in rows:
        try:
            if row.document is not None:  # one parse, in pydantic
                decoded.append((row, EventAdapter.validate_json(row.document)))
            else:
                decoded.append(
                    (row, EventAdapter.validate_python({**_envelope(row), "body": row.body}))
                )
        except ValidationError as exc:
            detail = "; ".join(f"{e['loc']}: {e['msg']}" for e in exc.errors()[:5])
            failed.append(_Failed(row, "undecodable stored event", detail[:2000], _as_stored(row)))
    return decoded, failed


def _envelope(row: StoredRow) -> dict[str, Any]:
    return {
        "event_id": str(row.event_id),
        "gateway_id": row.gateway_id,
        "seq": row.seq,
        "occurred_at": row.occurred_at.isoformat(),
        "type": row.type,
    }


def _as_stored(row: StoredRow) -> bytes:
    if row.document is not None:
        return row.document.encode()
    return json.dumps({**_envelope(row), "body": row.body}, default=str).encode()


def _dead_letter(session: Session, failed: list[_Failed]) -> None:
    for f in failed:
        metrics.DEAD_LETTERS.labels("projection", f.reason).inc()
        log.error(
            "projection dead-lettered %s seq %s: %s %s",
            f.row.gateway_id,
            f.row.seq,
            f.reason,
            f.detail,
        )
        session.add(
            DeadLetter(
                received_at=f.row.received_at,
                gateway_id=f.row.gateway_id,
                kind="projection",
                epoch=f.row.epoch,
                seq=f.row.seq,
                reason=f.reason[:200],
                detail=f.detail[:2000],
                payload=f.payload,
            )
        )


def lag_seconds(lag: Lag, now: datetime) -> float:
    """How long the oldest waiting event has waited (0 when nothing waits)."""
    if lag.oldest_received_at is None:
        return 0.0
    return max(0.0, (now - lag.oldest_received_at).total_seconds())
