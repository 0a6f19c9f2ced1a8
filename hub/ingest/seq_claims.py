"""Claims on (gateway, epoch, seq) and what a seq already claimed holds.

Each key keeps a digest of the content first stored under it. A seq that arrives again
with the same digest is a redelivery (acked as the first time); with another digest it is
a conflict: the gateway re-used the seq for other content, which the hub dead-letters
instead of dropping. PostgreSQL computes the digest of a valid event in the batch
statement (hub/ingest/batch_steps.py); here is that of a refused event, compared only with
digests made the same way."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub.db.models import OUTCOME_COMMITTED, EventKey


class Origin(Protocol):
    """Whose outbox a batch came from: a decoded EventBatch, or a salvaged one."""

    @property
    def gateway_id(self) -> str: ...
    @property
    def epoch(self) -> UUID: ...


@dataclass(frozen=True)
class Prior:
    """A seq claimed before this batch: its outcome then, and whether the content matches."""

    outcome: str
    same: bool


def raw_digest(raw: bytes) -> bytes:
    """sha256 of a refused event as received (re-serialized the same way every time)."""
    return hashlib.sha256(raw).digest()


def claim_keys(
    session: Session,
    batch: Origin,
    tenant_id: str,
    digests: dict[int, bytes],
    received_at: datetime,
    outcome: str = OUTCOME_COMMITTED,
) -> set[int]:
    """Claim (gateway, epoch, seq) for each seq of `digests` (in order); returns those new to
    the hub. Refused events claim theirs with OUTCOME_DEAD, so a re-send is acked the same."""
    if not digests:
        return set()
    rows = [
        {
            "gateway_id": batch.gateway_id,
            "epoch": batch.epoch,
            "seq": seq,
            "tenant_id": tenant_id,
            "outcome": outcome,
            "received_at": received_at,
            "digest": digests[seq],
        }
        for seq in sorted(digests)
    ]
    stmt = insert(EventKey).on_conflict_do_nothing().returning(EventKey.seq)
    return set(session.scalars(stmt, rows))


def prior_claims(session: Session, batch: Origin, digests: dict[int, bytes]) -> dict[int, Prior]:
    """What the seqs of `digests` were claimed with, compared with the digests given. A key
    without a digest (older than the digests) counts as the same content."""
    if not digests:
        return {}
    stmt = select(EventKey.seq, EventKey.outcome, EventKey.digest).where(
        EventKey.gateway_id == batch.gateway_id,
        EventKey.epoch == batch.epoch,
        EventKey.seq.in_(sorted(digests)),
    )
    return {
        seq: Prior(outcome, digest is None or digest == digests[seq])
        for seq, outcome, digest in session.execute(stmt)
    }
