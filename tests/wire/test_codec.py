import json
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from wire.codec import decode_ack, decode_batch, decode_command, encode
from wire.errors import WireError
from wire.events import CardTapped, LineItem, PosCheckout, make_event
from wire.identity import Identifier, IdentifierKind, keyed_hash, normalise_uid
from wire.messages import Ack, EventBatch, GatewayStatus, SeqRange, ShowPrompt
from wire.topics import Channel, hub_subscription, parse_topic, topic


def _batch(gateway_id: str = "gw-1", count: int = 2) -> EventBatch:
    now = datetime.now(UTC)
    events = [
        make_event(
            CardTapped(uid="04A1B2C3", technology="Type3Tag", reader="nfc0"),
            event_id=uuid4(),
            gateway_id=gateway_id,
            seq=seq,
            occurred_at=now,
        )
        for seq in range(1, count + 1)
    ]
    return EventBatch(gateway_id=gateway_id, epoch=uuid4(), sent_at=now, events=events)


def test_batch_round_trips_with_typed_bodies() -> None:
    batch = _batch()
    decoded = decode_batch(encode(batch))
    assert decoded == batch
    assert isinstance(decoded.events[0].body, CardTapped)


def test_occurred_at_is_normalised_to_utc() -> None:
    local = datetime(2026, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    event = make_event(
        PosCheckout(receipt_no="R1", items=[LineItem(sku="A", qty=1, unit_price=100)], total=100),
        event_id=uuid4(),
        gateway_id="gw-1",
        seq=1,
        occurred_at=local,
    )
    assert event.occurred_at == datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "invalid utf-8"),
        (b"{not json", "invalid json"),
        (b"[1,2]", "not a json object"),
        (b'{"schema_version": 99}', "unsupported schema_version"),
        (b'{"schema_version": 1, "gateway_id": "gw-1"}', "invalid message"),
    ],
)
def test_bad_payloads_give_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(WireError) as info:
        decode_batch(payload)
    assert info.value.reason == reason


def test_batch_rejects_events_of_another_gateway() -> None:
    batch = _batch("gw-2")
    data = encode(batch).replace(b'"gateway_id":"gw-2","epoch"', b'"gateway_id":"gw-1","epoch"')
    with pytest.raises(WireError, match="names gateway"):
        decode_batch(data)


def test_naive_timestamps_are_refused() -> None:
    data = encode(_batch()).replace(b'Z"', b'"')
    with pytest.raises(WireError):
        decode_batch(data)


def test_ack_and_command_round_trip() -> None:
    ack = Ack(gateway_id="gw-1", epoch=uuid4(), committed=[SeqRange(first=1, last=10)])
    assert decode_ack(encode(ack)) == ack
    cmd = ShowPrompt(title="Call back", text="Ask about the refill")
    assert decode_command(encode(cmd)) == cmd
    with pytest.raises(ValueError):
        SeqRange(first=5, last=4)


def test_topics_build_and_parse() -> None:
    assert topic("gw-1", Channel.EVENTS) == "sp/v1/gw/gw-1/events"
    assert parse_topic("sp/v1/gw/gw-1/ack") == ("gw-1", Channel.ACK)
    assert hub_subscription(Channel.EVENTS, "hub") == "$share/hub/sp/v1/gw/+/events"
    assert hub_subscription(Channel.EVENTS, None) == "sp/v1/gw/+/events"
    for bad in ["sp/v1/gw/gw-1", "sp/v2/gw/gw-1/events", "sp/v1/gw/+/events", "sp/v1/gw/a/nope"]:
        with pytest.raises(WireError):
            parse_topic(bad)
    with pytest.raises(WireError):
        topic("a/b", Channel.EVENTS)


@pytest.mark.parametrize("bad_id", ["gw-evil\n", "gw-evil\r", "gw\nx", "x" * 65])
def test_gateway_ids_with_a_newline_are_refused_by_every_check(bad_id: str) -> None:
    with pytest.raises(WireError):
        topic(bad_id, Channel.EVENTS)
    with pytest.raises(WireError):
        parse_topic(f"sp/v1/gw/{bad_id}/events")
    with pytest.raises(ValueError):  # pydantic's pattern (Rust regex) on the models
        GatewayStatus(gateway_id=bad_id, state="online", outbox_depth=0)


def test_keyed_hash_depends_on_key_and_kind() -> None:
    a = keyed_hash(b"k1", IdentifierKind.ID_HASH, "110101199001011234")
    assert len(a) == 64
    assert a != keyed_hash(b"k2", IdentifierKind.ID_HASH, "110101199001011234")
    assert a != keyed_hash(b"k1", IdentifierKind.PHONE_HASH, "110101199001011234")
    assert normalise_uid(b"\x04\xa1") == "04A1" == normalise_uid("04:a1")
    assert Identifier(kind=IdentifierKind.CARD_UID, value="04A1").kind == "card_uid"


def test_fast_batch_decode_still_requires_schema_version() -> None:
    data = encode(_batch()).replace(b'"schema_version":1,', b"", 1)
    assert b"schema_version" in data  # the events keep theirs; the batch lost its own
    with pytest.raises(WireError) as info:
        decode_batch(data)
    assert info.value.reason == "unsupported schema_version"


def test_fast_batch_decode_equals_the_slow_path() -> None:
    data = encode(_batch())
    assert decode_batch(data) == EventBatch.model_validate(json.loads(data))
