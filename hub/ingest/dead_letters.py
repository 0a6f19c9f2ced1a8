"""What the hub keeps of input it refused, and how much: a daily byte budget per gateway
(past it, letters are counted and dropped, so one gateway cannot flood the database), a
retention period, and whether a letter is kept already (a re-sent conflict or seq-less
event leaves none of its own). Functions take a Session; the caller owns the transaction.
Days are UTC days of `received_at`."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub import metrics
from hub.db.models import DeadLetter, DeadLetterDay

log = logging.getLogger(__name__)
MIB = 1024 * 1024


@dataclass(frozen=True)
class DeadLetterPolicy:
    bytes_per_gateway_day: int = 8 * MIB
    retention_days: int = 30


DEFAULT_POLICY = DeadLetterPolicy()


def admit(
    session: Session, gateway_id: str, tenant_id: str | None, at: datetime, size: int, cap: int
) -> bool:
    """Count a letter of `size` bytes against the gateway's day: True if it fits the cap
    (keep it), False if not (it is counted as dropped). Two statements on the day's row,
    which serialises a gateway's letters until commit: only refusals take this path."""
    day = at.date()
    session.execute(
        insert(DeadLetterDay)
        .values(
            gateway_id=gateway_id,
            tenant_id=tenant_id,
            day=day,
            kept=0,
            kept_bytes=0,
            dropped=0,
            dropped_bytes=0,
        )
        .on_conflict_do_nothing()
    )
    row = DeadLetterDay.gateway_id == gateway_id, DeadLetterDay.day == day
    kept = session.execute(
        update(DeadLetterDay)
        .where(*row, DeadLetterDay.kept_bytes + size <= cap)
        .values(kept=DeadLetterDay.kept + 1, kept_bytes=DeadLetterDay.kept_bytes + size)
        .returning(DeadLetterDay.kept)
    ).first()
    if kept is not None:
        return True
    dropped = session.execute(
        update(DeadLetterDay)
        .where(*row)
        .values(dropped=DeadLetterDay.dropped + 1, dropped_bytes=DeadLetterDay.dropped_bytes + size)
        .returning(DeadLetterDay.dropped)
    ).scalar_one()
    if dropped == 1:  # once a day: the flood itself must not flood the log
        log.warning(
            "dead letters of %s reached the cap of %d bytes for %s: further ones are counted "
            "and dropped until the end of the UTC day",
            gateway_id,
            cap,
            day,
        )
    return False


def already_kept(
    session: Session,
    gateway_id: str,
    epoch: UUID | None,
    seq: int | None,
    kind: str,
    digest: bytes,
) -> bool:
    """A letter of this kind with this content digest is kept for this (gateway, epoch, seq)."""
    stmt = select(DeadLetter.id).where(
        DeadLetter.gateway_id == gateway_id,
        DeadLetter.epoch.is_(None) if epoch is None else DeadLetter.epoch == epoch,
        DeadLetter.seq.is_(None) if seq is None else DeadLetter.seq == seq,
        DeadLetter.kind == kind,
        DeadLetter.digest == digest,
    )
    return session.scalar(stmt.limit(1)) is not None


def prune(session: Session, now: datetime, retention_days: int) -> int:
    """Delete letters and day counters older than the retention; returns letters deleted."""
    before = now - timedelta(days=retention_days)
    gone = session.execute(delete(DeadLetter).where(DeadLetter.received_at < before))
    session.execute(delete(DeadLetterDay).where(DeadLetterDay.day < before.date()))
    return int(getattr(gone, "rowcount", 0) or 0)


def count_dropped(kind: str) -> None:
    metrics.DEAD_LETTERS_DROPPED.labels(kind).inc()
