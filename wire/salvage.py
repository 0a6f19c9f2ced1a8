"""A batch the strict decode refused, read event by event: the hub commits the events that
are valid and dead-letters the others alone, so one bad event (say, a type this hub does not
know yet, or a seq of 0) neither holds back the good ones nor leaves its seq un-acked for
ever. A payload that cannot be read so still tells what it can (`remnant_of`): its epoch
and the seqs of its events, for the ack that refuses it."""

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wire.codec import first_error, holds_nul, load_object
from wire.errors import WireError
from wire.events import Event, EventAdapter, GatewayId
from wire.limits import MAX_SEQ, SchemaVersion, UtcDatetime
from wire.messages import MAX_BATCH_EVENTS
from wire.redaction import redact_payload


class _Envelope(BaseModel):
    """An EventBatch with its events left unread."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion
    gateway_id: GatewayId
    epoch: UUID
    sent_at: UtcDatetime
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)


class _Seq(BaseModel):
    model_config = ConfigDict(strict=True)

    seq: int = Field(ge=1, le=MAX_SEQ)


@dataclass(frozen=True)
class RefusedEvent:
    seq: int
    reason: str
    detail: str
    raw: bytes  # the event as received, re-serialized, personal numbers redacted


@dataclass(frozen=True)
class SeqlessEvent:
    """An event without a valid seq: nothing can settle it, it is refused on its own."""

    reason: str
    detail: str
    raw: bytes


@dataclass(frozen=True)
class SalvagedBatch:
    """The envelope of a batch, its valid events and its refused ones. A seq that occurs
    twice keeps its first occurrence, as in a valid batch; a later occurrence with other
    content is a conflict (reason "conflict"), one with the same a repeat."""

    gateway_id: str
    epoch: UUID
    events: list[Event]
    refused: list[RefusedEvent]
    repeats: int
    seqless: list[SeqlessEvent] = field(default_factory=list)
    conflicts: list[RefusedEvent] = field(default_factory=list)


@dataclass(frozen=True)
class Remnant:
    """What a payload refused whole still tells: its epoch, and the seqs of its events
    (only with an epoch: a seq means nothing without one)."""

    epoch: UUID | None
    seqs: frozenset[int]


def salvage_batch(payload: bytes) -> SalvagedBatch | None:
    """None when the batch cannot be read event by event (a bad envelope, or nothing wrong
    with any single event); the caller then refuses it whole with the strict decode's
    reason."""
    try:
        data = load_object(payload, nul_allowed=True)
        envelope = _Envelope.model_validate(data)
    except (WireError, ValidationError):
        return None
    if holds_nul({k: v for k, v in data.items() if k != "events"}):
        return None
    return _read_events(envelope)


def _read_events(envelope: _Envelope) -> SalvagedBatch | None:
    events: list[Event] = []
    refused: list[RefusedEvent] = []
    seqless: list[SeqlessEvent] = []
    conflicts: list[RefusedEvent] = []
    first: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(envelope.events):
        try:
            seq = _Seq.model_validate(raw).seq
        except ValidationError as exc:
            detail = f"events.{index}.{first_error(exc)}"
            seqless.append(SeqlessEvent("invalid message", detail, json.dumps(raw).encode()))
            continue
        if seq in first:
            if raw != first[seq]:
                detail = f"seq {seq} occurs twice in the batch with different content"
                conflicts.append(RefusedEvent(seq, "conflict", detail, json.dumps(raw).encode()))
            continue
        first[seq] = raw
        outcome = _check(raw, envelope.gateway_id)
        if isinstance(outcome, RefusedEvent):
            refused.append(outcome)
        else:
            events.append(outcome)
    if not refused and not seqless:  # the strict decode refused something else
        return None
    repeats = len(envelope.events) - len(first) - len(seqless) - len(conflicts)
    return SalvagedBatch(
        envelope.gateway_id, envelope.epoch, events, refused, repeats, seqless, conflicts
    )


def remnant_of(payload: bytes) -> Remnant:
    try:
        data = load_object(payload, nul_allowed=True)
        epoch = UUID(data["epoch"])
    except (WireError, KeyError, TypeError, ValueError, AttributeError):
        return Remnant(None, frozenset())
    events = data.get("events")
    seqs: set[int] = set()
    for raw in events if isinstance(events, list) else []:
        try:
            seqs.add(_Seq.model_validate(raw).seq)
        except ValidationError:
            continue
    return Remnant(epoch, frozenset(seqs))


def _check(raw: dict[str, Any], gateway_id: str) -> Event | RefusedEvent:
    seq = raw["seq"]
    # A NUL in a value is refused by the models too; this also catches one in a key, which
    # the detail would quote into a dead letter that PostgreSQL text cannot hold.
    if holds_nul(raw):
        return _refused(seq, "invalid text", "NUL character in a string", raw)
    try:
        event = EventAdapter.validate_python(raw)
    except ValidationError as exc:
        return _refused(seq, "invalid message", first_error(exc), raw)
    if event.gateway_id != gateway_id:
        detail = f"event seq {seq} names gateway {event.gateway_id!r}"
        return _refused(seq, "invalid message", detail, raw)
    return event


def _refused(seq: int, reason: str, detail: str, raw: dict[str, Any]) -> RefusedEvent:
    # ASCII escapes: a lone surrogate ("\ud800", which json.loads lets through) has no UTF-8
    return RefusedEvent(seq, reason, detail, redact_payload(json.dumps(raw).encode()))
