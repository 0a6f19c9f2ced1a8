"""Batches the hub refuses: bad payloads and gateways it does not trust."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import DeadLetter, EventKey, RawEvent, Touchpoint
from hub.demo.seed import revoke_gateway
from hub.ingest.service import IngestService
from tests.hub.batches import batch, payload, tap
from wire.codec import MAX_PAYLOAD_BYTES
from wire.messages import SeqRange

NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)


def _nothing_committed(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        for model in (EventKey, RawEvent, Touchpoint):
            query = select(func.count()).select_from(model)
            if model is Touchpoint:  # the seed has checkout touchpoints; no visit was added
                query = query.where(Touchpoint.kind == "visit")
            assert s.scalar(query) == 0, model.__tablename__


def _letters(sessions: sessionmaker[Session]) -> list[DeadLetter]:
    with sessions() as s:
        return list(s.scalars(select(DeadLetter).order_by(DeadLetter.id)))


def _good() -> bytes:
    return payload(batch("gw-demo-1", [tap()]))


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"{not json", "invalid json"),
        (b"\xff\xfe\x00garbage", "invalid utf-8"),
        (
            _good().replace(b'"schema_version":1', b'"schema_version":2'),
            "unsupported schema_version",
        ),
        (_good().replace(b'"epoch":', b'"epoch_":'), "invalid message"),
        (b"[1, 2]", "not a json object"),
        (b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "payload too large"),
    ],
    ids=["bad-json", "bad-utf8", "schema-v2", "missing-epoch", "not-object", "over-4-MiB"],
)
def test_unreadable_payload_is_dead_lettered_and_refused(
    ingest: IngestService, sessions: sessionmaker[Session], raw: bytes, reason: str
) -> None:
    out = ingest.commit_batch("gw-demo-1", raw, NOW)
    assert out.ack is not None, "a known gateway gets an answer"
    assert (out.ack.gateway_id, out.ack.epoch) == ("gw-demo-1", None)
    assert out.ack.refused is not None and out.ack.refused.reason == reason
    assert out.ack.committed == out.ack.dead_lettered == []
    assert (out.rejected, out.committed) == (reason, 0)
    [letter] = _letters(sessions)
    assert (letter.kind, letter.reason, letter.gateway_id) == ("batch", reason, "gw-demo-1")
    assert letter.payload == raw[: len(letter.payload)]
    _nothing_committed(sessions)


def test_empty_events_are_refused_under_their_epoch(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    doc = json.loads(_good())
    out = ingest.commit_batch("gw-demo-1", json.dumps({**doc, "events": []}).encode(), NOW)
    assert out.ack is not None
    assert out.ack.epoch == uuid.UUID(doc["epoch"])
    assert out.ack.refused is not None and out.ack.refused.reason == "invalid message"
    assert "events" in out.ack.refused.detail
    assert out.ack.committed == out.ack.dead_lettered == []
    _nothing_committed(sessions)


def test_a_broken_envelope_is_dead_lettered_by_the_seqs_it_names(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    doc = json.loads(payload(batch("gw-demo-1", [tap(), tap()])))
    del doc["sent_at"]
    out = ingest.commit_batch("gw-demo-1", json.dumps(doc).encode(), NOW)
    assert out.ack is not None and out.ack.refused is None
    assert out.ack.epoch == uuid.UUID(doc["epoch"])
    assert out.ack.dead_lettered == [SeqRange(first=1, last=2)]
    assert (out.rejected, out.dead_lettered) == ("invalid message", 2)
    assert [x.kind for x in _letters(sessions)] == ["batch"]
    _nothing_committed(sessions)


@pytest.mark.parametrize("bad_seq", [0, -3, "x", None, 2**63], ids=str)
def test_an_event_without_a_valid_seq_is_refused_alone(
    ingest: IngestService, sessions: sessionmaker[Session], bad_seq: object
) -> None:
    doc = json.loads(payload(batch("gw-demo-1", [tap(), tap("04A1B2C3D4E5F6"), tap()])))
    doc["events"][1]["seq"] = bad_seq
    out = ingest.commit_batch("gw-demo-1", json.dumps(doc).encode(), NOW)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=1, last=1), SeqRange(first=3, last=3)]
    assert out.ack.dead_lettered == []
    assert out.ack.refused is not None and out.ack.refused.reason == "invalid message"
    assert "events.1.seq" in out.ack.refused.detail
    [letter] = _letters(sessions)
    assert (letter.kind, letter.seq, letter.epoch) == ("event", None, uuid.UUID(doc["epoch"]))
    assert json.loads(letter.payload)["body"]["uid"] == "04A1B2C3D4E5F6"
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RawEvent)) == 2


def test_junk_on_the_topic_of_an_unknown_gateway_gets_no_answer(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    out = ingest.commit_batch("gw-stranger", b"{not json", NOW)
    assert (out.ack, out.rejected) == (None, "invalid json")
    assert [x.gateway_id for x in _letters(sessions)] == ["gw-stranger"]


def test_unknown_gateway_is_refused(ingest: IngestService, sessions: sessionmaker[Session]) -> None:
    out = ingest.commit_batch("gw-stranger", payload(batch("gw-stranger", [tap(), tap()])), NOW)
    assert out.rejected == "unknown gateway"
    assert out.ack is not None
    assert out.ack.committed == []
    assert out.ack.dead_lettered == [SeqRange(first=1, last=2)]
    assert [(d.reason, d.gateway_id) for d in _letters(sessions)] == [
        ("unknown gateway", "gw-stranger")
    ]
    _nothing_committed(sessions)


def test_revoked_gateway_is_refused(ingest: IngestService, sessions: sessionmaker[Session]) -> None:
    revoke_gateway(sessions, "gw-demo-2")
    out = ingest.commit_batch("gw-demo-2", payload(batch("gw-demo-2", [tap()])), NOW)
    assert (out.rejected, out.committed, out.dead_lettered) == ("revoked gateway", 0, 1)
    assert [d.reason for d in _letters(sessions)] == ["revoked gateway"]
    _nothing_committed(sessions)


def test_batch_of_another_gateway_on_my_topic_is_refused(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    out = ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-2", [tap()])), NOW)
    assert out.rejected == "gateway mismatch"
    assert out.ack is not None and out.ack.gateway_id == "gw-demo-1"
    [letter] = _letters(sessions)
    assert letter.reason == "gateway mismatch"
    assert "gw-demo-2" in letter.detail
    _nothing_committed(sessions)
