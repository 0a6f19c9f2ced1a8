"""Batches the hub refuses: bad payloads and gateways it does not trust."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.ingest import IngestService
from hub.crm.seed import revoke_gateway
from hub.db.models import DeadLetter, EventKey, RawEvent, Touchpoint
from tests.hub.batches import batch, payload, tap
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
    ],
    ids=["bad-json", "bad-utf8", "schema-v2", "missing-field", "not-object"],
)
def test_invalid_payload_is_dead_lettered_without_ack(
    ingest: IngestService, sessions: sessionmaker[Session], raw: bytes, reason: str
) -> None:
    out = ingest.commit_batch("gw-demo-1", raw, NOW)
    assert out.ack is None
    assert out.rejected == reason
    assert out.committed == 0
    [letter] = _letters(sessions)
    assert (letter.kind, letter.reason, letter.gateway_id) == ("batch", reason, "gw-demo-1")
    assert letter.payload == raw
    _nothing_committed(sessions)


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
