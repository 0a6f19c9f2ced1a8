"""Raw ID-card numbers never reach the hub's tables, dead letters included, and a checkout
whose lines do not add up is refused: events a gateway written from docs/wire.md might send
(the edge's own models refuse to build them)."""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import DeadLetter, Identity, RawEvent
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload, tap
from wire.events import IdCardRead
from wire.messages import SeqRange

NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)
GW = "gw-demo-1"
RAW_ID = "310106199001012343"  # the form of a resident ID number (made up)
HASH = "ab" * 32


def _doc(*bodies: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(payload(batch(GW, [tap(), *bodies])))
    return doc


def _stored_text(sessions: sessionmaker[Session]) -> str:
    """Everything the hub kept of gateway traffic: raw events, identities, dead letters."""
    with sessions() as s:
        bodies = [json.dumps(b) for b in s.scalars(select(RawEvent.body))]
        values = list(s.scalars(select(Identity.value)))
        letters = [(d.detail, d.payload.decode()) for d in s.scalars(select(DeadLetter))]
    return json.dumps([bodies, values, letters], ensure_ascii=False)


def _letters(sessions: sessionmaker[Session]) -> list[DeadLetter]:
    with sessions() as s:
        return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def test_a_raw_number_as_id_hash_is_refused_and_kept_nowhere(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    doc = _doc(checkout("R-RAW-1"))
    doc["events"][1]["body"]["member"] = {"kind": "id_hash", "value": RAW_ID}
    out = ingest.commit_batch(GW, json.dumps(doc).encode(), NOW)
    projector.drain()
    assert out.ack is not None
    assert (out.ack.committed, out.ack.dead_lettered) == (
        [SeqRange(first=1, last=1)],
        [SeqRange(first=2, last=2)],
    )
    [letter] = _letters(sessions)
    assert (letter.kind, letter.seq, letter.reason) == ("event", 2, "invalid message")
    assert "id_hash must be 64 lower-case hex digits" in letter.detail
    assert json.loads(letter.payload)["body"]["member"] == {
        "kind": "id_hash",
        "value": "<redacted>",
    }
    assert RAW_ID not in _stored_text(sessions)
    assert RAW_ID[:8] not in _stored_text(sessions)


def test_a_raw_number_as_card_hash_leaves_only_a_redacted_letter(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    doc = _doc(IdCardRead(card_hash=HASH, profile="cn-resident", reader="id-1"))
    doc["events"][1]["body"].update(card_hash=RAW_ID, reader=f"id-1 {RAW_ID}")
    out = ingest.commit_batch(GW, json.dumps(doc).encode(), NOW)
    assert out.ack is not None and out.ack.dead_lettered == [SeqRange(first=2, last=2)]
    [letter] = _letters(sessions)
    body = json.loads(letter.payload)["body"]
    assert body == {"card_hash": "<redacted>", "profile": "<redacted>", "reader": "<redacted>"}
    assert RAW_ID not in _stored_text(sessions)


def test_a_payload_refused_whole_keeps_no_raw_number(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    doc = _doc(checkout("R-RAW-2"))
    doc["events"][1]["body"]["member"] = {"kind": "phone_hash", "value": "+8613800138000"}
    doc["schema_version"] = 2
    out = ingest.commit_batch(GW, json.dumps(doc).encode(), NOW)
    assert out.rejected == "unsupported schema_version"
    [letter] = _letters(sessions)
    assert letter.kind == "batch"
    assert json.loads(letter.payload)["events"][1]["body"]["member"]["value"] == "<redacted>"
    truncated = json.dumps(doc).encode()[:-3]  # not JSON: long digit runs are blanked
    ingest.commit_batch(GW, truncated, NOW)
    assert "13800138000" not in _stored_text(sessions)


def test_a_checkout_whose_lines_do_not_add_up_is_refused(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    doc = _doc(checkout("R-SUM-1"))
    doc["events"][1]["body"]["total"] = 3701
    out = ingest.commit_batch(GW, json.dumps(doc).encode(), NOW)
    assert out.ack is not None
    assert (out.committed, out.ack.dead_lettered) == (1, [SeqRange(first=2, last=2)])
    [letter] = _letters(sessions)
    assert letter.detail.endswith("items add up to 3700, total is 3701")
    with sessions() as s:
        assert list(s.scalars(select(RawEvent.type))) == ["card.tapped"]
