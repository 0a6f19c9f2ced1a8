"""The steps of committing one decoded batch on the ack-critical path: keys, raw events and
their stream segments. All run inside the caller's transaction; the CRM and every other
consumer follow from the stream (hub/projection/stream.py).
One statement (one round trip per batch) takes them all and also says which seqs were
claimed before and whether their content matches."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from hub.db.bulk import driver_execute
from hub.db.event_origin import Where
from hub.db.models import OUTCOME_COMMITTED
from hub.ingest.seq_claims import Origin, Prior, prior_claims
from wire.events import Event, EventBody

# The whole ack-critical write is this one statement: claim the keys with the digest of
# each event's content, store the events whose keys were new, append one stream segment
# per run of consecutive new seqs (what every consumer reads), and compare the digests of
# seqs claimed before. The events travel column by column (arrays, and the bodies as one
# JSON array), so Python formats no row; data-modifying CTEs see each other's RETURNING,
# and all of them run. The digest is sha256 over the event id and time in binary, the type and the
# body's jsonb text (canonical: jsonb keeps no key order or spacing of its own).
# A seq claimed meanwhile by a concurrent transaction is not in this statement's snapshot:
# it comes back as 'unseen' with its digest, for seq_claims.prior_claims to settle.
STORE_BATCH_PG = """
WITH incoming AS (
    SELECT e.seq, e.occurred_at, e.event_id, e.type, e.body,
           sha256(uuid_send(e.event_id) || timestamptz_send(e.occurred_at)
                  || convert_to(e.type || e.body::text, 'UTF8')) AS digest
    FROM ROWS FROM (
        unnest(%(seqs)s::bigint[]),
        unnest(%(occurred)b::timestamptz[]),
        unnest(%(ids)b::uuid[]),
        unnest(%(types)s::text[]),
        jsonb_array_elements(convert_from(%(bodies)b, 'UTF8')::jsonb)
    ) AS e(seq, occurred_at, event_id, type, body)
), claimed AS (
    INSERT INTO event_keys (gateway_id, epoch, seq, tenant_id, outcome, received_at, digest)
    SELECT %(gateway_id)s, %(epoch)s, i.seq, %(tenant_id)s, %(outcome)s, %(received_at)s,
           i.digest
    FROM incoming i ORDER BY i.seq
    ON CONFLICT DO NOTHING
    RETURNING seq
), stored AS (
    INSERT INTO events (gateway_id, epoch, tenant_id, store_id, received_at,
                        seq, occurred_at, event_id, type, body)
    SELECT %(gateway_id)s, %(epoch)s, %(tenant_id)s, %(store_id)s, %(received_at)s,
           i.seq, i.occurred_at, i.event_id, i.type, i.body
    FROM incoming i
    WHERE i.seq IN (SELECT seq FROM claimed)
    RETURNING seq
), runs AS (  -- consecutive seqs share seq - row_number()
    SELECT seq, seq - row_number() OVER (ORDER BY seq) AS run FROM stored
), segments AS (
    INSERT INTO stream_segments (tenant_id, gateway_id, epoch, first_seq, last_seq,
                                 received_at)
    SELECT %(tenant_id)s, %(gateway_id)s, %(epoch)s, min(seq), max(seq), %(received_at)s
    FROM runs GROUP BY run ORDER BY min(seq)
)
SELECT seq, 'new', true, NULL::bytea FROM stored
UNION ALL
SELECT i.seq, coalesce(k.outcome, 'unseen'), k.digest IS NULL OR k.digest = i.digest, i.digest
FROM incoming i
LEFT JOIN event_keys k
    ON k.gateway_id = %(gateway_id)s AND k.epoch = %(epoch)s AND k.seq = i.seq
WHERE i.seq NOT IN (SELECT seq FROM claimed)
"""
BODIES: TypeAdapter[list[EventBody]] = TypeAdapter(list[EventBody])
SEQ = attrgetter("seq")


def _array_literal(values: list[str]) -> str:
    # Only for values that need no quoting: decimal seqs and event type names.
    return "{" + ",".join(values) + "}"


@dataclass
class Stored:
    """What store_batch found: the seqs new to the hub, and those claimed before."""

    new: set[int] = field(default_factory=set)
    prior: dict[int, Prior] = field(default_factory=dict)


@dataclass
class UniqueEvents:
    """The first event of each seq, in seq order; later ones the same (repeats, dropped)
    or different (conflicts: the gateway used one seq for two contents)."""

    events: list[Event]
    repeats: int = 0
    conflicts: list[Event] = field(default_factory=list)


def unique_events(batch_events: Sequence[Event]) -> UniqueEvents:
    seqs = list(map(SEQ, batch_events))
    if len(set(seqs)) == len(seqs) and seqs == sorted(seqs):  # what gateways send
        return UniqueEvents(list(batch_events))
    by_seq: dict[int, Event] = {}
    found = UniqueEvents([])
    for event in batch_events:
        first = by_seq.setdefault(event.seq, event)
        if first is event:
            continue
        if first == event:
            found.repeats += 1
        else:
            found.conflicts.append(event)
    found.events = [by_seq[s] for s in sorted(by_seq)]
    return found


def store_batch(
    session: Session, where: Where, batch: Origin, events: list[Event], received_at: datetime
) -> Stored:
    """Claim the keys of `events` (unique seqs), store the events new to the hub and queue
    them for the CRM projection; say which seqs were claimed before, and with what. Keys
    go in seq order, so two workers handed the same batch queue behind each other, never
    deadlock."""
    if not events:
        return Stored()
    return _store_batch_pg(session, where, batch, events, received_at)


def _store_batch_pg(
    session: Session, where: Where, batch: Origin, events: list[Event], received_at: datetime
) -> Stored:
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
    found = Stored()
    unseen: dict[int, bytes] = {}
    for seq, state, same, digest in driver_execute(session, STORE_BATCH_PG, params):
        if state == "new":
            found.new.add(seq)
        elif state == "unseen":
            unseen[seq] = digest
        else:
            found.prior[seq] = Prior(state, same)
    found.prior.update(prior_claims(session, batch, unseen))
    return found
