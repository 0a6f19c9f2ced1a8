"""What a batch's seqs came to, and the ack that says so: committed, dead-lettered (refused
alone, or a conflict), or refused without a seq. Pure functions over what the batch steps
found; hub/crm/ingest.py writes the dead letters and counts."""

from dataclasses import dataclass
from uuid import UUID

from hub.db.models import OUTCOME_DEAD
from hub.ingest.batch_steps import Stored, UniqueEvents
from hub.ingest.seq_claims import Origin
from hub.ingest.seq_ranges import compress
from wire.events import Event, EventAdapter
from wire.messages import Ack, Refusal
from wire.salvage import RefusedEvent, SalvagedBatch, SeqlessEvent

REFUSAL_DETAIL_CHARS = 500


@dataclass(frozen=True)
class Conflict:
    """Content that arrived under a seq already used for other content: kept as a dead
    letter of kind "conflict", acked as dead-lettered; what was stored first stays."""

    seq: int
    detail: str
    raw: bytes


@dataclass
class IngestOutcome:
    """What one batch came to. `committed` events are stored and queued for the CRM
    projection; the customers they change are reported by the projector, not here.
    `ack` is None only when the topic names no gateway the hub knows and nothing in the
    payload could be read."""

    ack: Ack | None
    committed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    conflicts: int = 0
    rejected: str | None = None  # reason, when the whole payload was dead-lettered


def refusal(reason: str, detail: str) -> Refusal:
    # The detail may quote hostile input: no lone surrogate may reach the JSON encoder.
    safe = detail.encode("utf-8", "backslashreplace").decode()
    return Refusal(reason=reason[:200], detail=safe[:REFUSAL_DETAIL_CHARS])


def whole_ack(gateway_id: str, epoch: UUID | None, seqs: set[int], reason: str, detail: str) -> Ack:
    """The answer to a payload refused as a whole: its readable seqs as dead-lettered, or,
    when it has none (or no readable epoch), a refusal with the reason."""
    if epoch is not None and seqs:
        return Ack(gateway_id=gateway_id, epoch=epoch, dead_lettered=compress(seqs))
    return Ack(gateway_id=gateway_id, epoch=epoch, refused=refusal(reason, detail))


def conflicts_of(
    unique: UniqueEvents,
    stored: Stored,
    refused: list[RefusedEvent],
    dead: Stored,
    salvaged: SalvagedBatch | None,
) -> list[Conflict]:
    """Later occurrences in the batch with other content, and seqs claimed before with
    other content, in seq order."""
    twice = "occurs twice in the batch with different content"
    found = [Conflict(e.seq, f"seq {e.seq} {twice}", _dump(e)) for e in unique.conflicts]
    if salvaged is not None:
        found += [Conflict(r.seq, r.detail, r.raw) for r in salvaged.conflicts]
    prior = {**stored.prior, **dead.prior}
    differ = sorted(seq for seq, p in prior.items() if not p.same)
    if differ:  # rare: the lookup is not built for every batch
        by_seq: dict[int, Event | RefusedEvent] = {e.seq: e for e in unique.events}
        by_seq.update((r.seq, r) for r in refused)
        for seq in differ:
            held = by_seq[seq]
            raw = held.raw if isinstance(held, RefusedEvent) else _dump(held)
            detail = f"seq {seq} was {prior[seq].outcome} with other content before"
            found.append(Conflict(seq, detail, raw))
    return sorted(found, key=lambda c: c.seq)


def settled_ack(
    batch: Origin,
    stored: Stored,
    dead: Stored,
    conflicts: list[Conflict],
    seqless: list[SeqlessEvent],
) -> Ack:
    # A re-sent seq is acked as it was the first time: committed, or dead-lettered when the
    # hub refused that event alone (a projection failure is a dead letter of kind
    # "projection" and the event stays committed). A conflict is dead-lettered.
    prior = {**stored.prior, **dead.prior}
    lettered = {c.seq for c in conflicts} | dead.new
    lettered |= {s for s, p in prior.items() if p.outcome == OUTCOME_DEAD}
    committed = (stored.new | set(stored.prior)) - lettered
    refused = None
    if seqless:
        more = f" (and {len(seqless) - 1} more)" if len(seqless) > 1 else ""
        refused = refusal(seqless[0].reason, seqless[0].detail + more)
    return Ack(
        gateway_id=batch.gateway_id,
        epoch=batch.epoch,
        committed=compress(committed),
        dead_lettered=compress(lettered),
        refused=refused,
    )


def _dump(event: Event) -> bytes:
    return EventAdapter.dump_json(event)
