"""Hypothesis against the codec: any bytes give a model or a WireError with a reason, never
another exception; damaged valid batches are refused; valid batches round-trip."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from tests.wire.strategies import batches
from wire.codec import (
    MAX_PAYLOAD_BYTES,
    decode_ack,
    decode_batch,
    decode_cache_delta,
    decode_command,
    decode_status,
    encode,
)
from wire.errors import WireError
from wire.events import EVENT_TYPES, CardTapped
from wire.messages import MAX_BATCH_EVENTS, EventBatch

DECODERS: dict[str, Callable[[bytes], object]] = {
    "batch": decode_batch,
    "ack": decode_ack,
    "status": decode_status,
    "cache_delta": decode_cache_delta,
    "command": decode_command,
}
FIELD_NAMES = [
    "schema_version", "gateway_id", "epoch", "sent_at", "events", "committed", "dead_lettered",
    "state", "clock", "outbox_depth", "store_id", "version", "base_version", "upserts",
    "command", "title", "text", "seq", "occurred_at", "type", "body", "event_id", "first", "last",
]  # fmt: skip
BODY_CLASS = {envelope.model_fields["type"].default: body for body, envelope in EVENT_TYPES.items()}
NEVER_UTF8 = [0xC0, 0xC1, *range(0xF5, 0x100)]
json_leaves = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_leaves,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(FIELD_NAMES), kids),
    max_leaves=20,
)
hostile_docs = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values).map(
    lambda d: {**d, "schema_version": 1}
)


def _one_event_batch() -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "gateway_id": "gw-1",
            "epoch": "0195a3c4-0000-7000-8000-000000000001",
            "sent_at": "2025-03-14T09:30:00Z",
            "events": [
                {
                    "event_id": "0195a3c4-0000-7000-8000-000000000002",
                    "gateway_id": "gw-1",
                    "seq": 1,
                    "occurred_at": "2025-03-14T09:30:00Z",
                    "type": "reader.status",
                    "body": {"reader": "nfc-1", "kind": "nfc", "state": "up"},
                }
            ],
        }
    )


_FIXED = EventBatch.model_validate_json(_one_event_batch())
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refused(decode: Callable[[bytes], object], payload: bytes) -> WireError | None:
    """None when the payload decodes; the WireError otherwise; any other exception fails."""
    try:
        decode(payload)
    except WireError as exc:
        assert exc.reason, "a WireError must say why"
        return exc
    return None


@pytest.mark.parametrize("kind", sorted(DECODERS))
@FUZZ
@given(payload=st.binary(max_size=512))
def test_arbitrary_bytes_give_only_wire_errors(kind: str, payload: bytes) -> None:
    _refused(DECODERS[kind], payload)


@pytest.mark.parametrize("kind", sorted(DECODERS))
@FUZZ
@given(doc=hostile_docs | json_values)
def test_arbitrary_json_gives_only_wire_errors(kind: str, doc: Any) -> None:
    _refused(DECODERS[kind], json.dumps(doc).encode())


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"schema_version": 1, "seq": ' + b"9" * 5000 + b"}",
        b'{"schema_version": 1, "x": 1e999999}',
        b'{"schema_version": NaN}',
        b'{"schema_version": 1, "gateway_id": "gw\\ud800"}',
    ],
    ids=["deep-array", "deep-object", "huge-int", "huge-float", "nan", "lone-surrogate"],
)
@pytest.mark.parametrize("kind", sorted(DECODERS))
def test_pathological_json_is_refused(kind: str, payload: bytes) -> None:
    assert _refused(DECODERS[kind], payload) is not None


@FUZZ
@given(batch=batches())
def test_valid_batches_round_trip(batch: EventBatch) -> None:
    payload = encode(batch)
    decoded = decode_batch(payload)
    assert decoded == batch
    assert encode(decoded) == payload


def _required(model: type[BaseModel], key: str) -> bool:
    return model.model_fields[key].is_required()


@st.composite
def dropped_fields(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A valid batch document with one key removed, and whether that key was required."""
    doc = json.loads(encode(draw(batches())))
    level = draw(st.sampled_from(["batch", "event", "body"]))
    if level == "batch":
        key = draw(st.sampled_from(sorted(doc)))
        del doc[key]
        return doc, key == "schema_version" or _required(EventBatch, key)
    event = draw(st.sampled_from(doc["events"]))
    body_class = BODY_CLASS[event["type"]]
    target = event if level == "event" else event["body"]
    key = draw(st.sampled_from(sorted(target)))
    del target[key]
    model = EVENT_TYPES[body_class] if level == "event" else body_class
    return doc, key == "type" or _required(model, key)


@FUZZ
@given(case=dropped_fields())
def test_dropping_a_required_field_is_refused(case: tuple[dict[str, Any], bool]) -> None:
    doc, required = case
    refused = _refused(decode_batch, json.dumps(doc).encode())
    assert (refused is not None) == required


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        items: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return [here]
    return (
        [here, *(p for k, v in items for p in _paths(v, (*here, k)))]
        if here
        else [p for k, v in items for p in _paths(v, (k,))]
    )


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@FUZZ
@given(batch=batches(), data=st.data())
def test_a_value_of_the_wrong_type_is_refused(batch: EventBatch, data: st.DataObject) -> None:
    doc = json.loads(encode(batch))
    path = data.draw(st.sampled_from(_paths(doc)))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    old = parent[path[-1]]
    # a container where a scalar belongs, a list where an object belongs, an object for a list
    parent[path[-1]] = [old] if isinstance(old, dict) else {"bogus": [old]}
    assert _refused(decode_batch, json.dumps(doc).encode()) is not None


@FUZZ
@example(batch=_FIXED, version=True, where="batch")
@example(batch=_FIXED, version=1.0, where="batch")
@example(batch=_FIXED, version="1", where="event")
@given(
    batch=batches(),
    version=json_values.filter(lambda v: not (type(v) is int and v == 1)),
    where=st.sampled_from(["batch", "event"]),
)
def test_wrong_schema_version_is_refused(batch: EventBatch, version: Any, where: str) -> None:
    # The codec gates on the batch's version strictly; inside an event pydantic's lax mode
    # reads JSON true and 1.0 as the literal 1, which names the same version.
    assume(where == "batch" or version != 1)
    doc = json.loads(encode(batch))
    (doc if where == "batch" else doc["events"][0])["schema_version"] = version
    refused = _refused(decode_batch, json.dumps(doc).encode())
    assert refused is not None
    if where == "batch":
        assert refused.reason == "unsupported schema_version"


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("events", 0, "seq"), 2**63),  # past BIGINT: the hub could not store it
        (("events", 0, "seq"), 0),
        (("events", 0, "occurred_at"), "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        (("events", 0, "occurred_at"), "9999-12-31T23:59:59-01:00"),  # after year 9999 in UTC
        (("sent_at",), "9999-12-31T23:30:00-14:00"),
        (("events", 0, "occurred_at"), "2025-03-14T09:30:00"),  # naive
        (("events", 0, "body", "detail"), "x" * 501),
    ],
    ids=["seq-2^63", "seq-0", "year-0", "year-10000", "sent-year-10000", "naive", "long-text"],
)
def test_values_past_the_contract_bounds_are_refused(where: tuple[Any, ...], value: Any) -> None:
    doc = json.loads(_one_event_batch())
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    refused = _refused(decode_batch, json.dumps(doc).encode())
    assert refused is not None and refused.reason == "invalid message"


@FUZZ
@given(batch=batches(), data=st.data())
def test_truncated_batches_are_refused(batch: EventBatch, data: st.DataObject) -> None:
    payload = encode(batch)
    cut = data.draw(st.integers(0, len(payload) - 1))
    assert _refused(decode_batch, payload[:cut]) is not None


@FUZZ
@given(batch=batches(), data=st.data())
def test_flipped_bytes_decode_or_give_a_wire_error(batch: EventBatch, data: st.DataObject) -> None:
    payload = bytearray(encode(batch))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(payload) - 1))
        payload[at] ^= data.draw(st.integers(1, 255))
    decoded = _refused(decode_batch, bytes(payload))
    assert decoded is None or isinstance(decoded, WireError)


@FUZZ
@given(batch=batches(), data=st.data())
def test_non_utf8_bytes_are_refused(batch: EventBatch, data: st.DataObject) -> None:
    payload = bytearray(encode(batch))
    at = data.draw(st.integers(0, len(payload)))
    payload[at:at] = bytes([data.draw(st.sampled_from(NEVER_UTF8))])
    refused = _refused(decode_batch, bytes(payload))
    assert refused is not None and refused.reason == "invalid utf-8"


@FUZZ
@given(batch=batches(), data=st.data())
def test_a_nul_in_any_string_is_refused(batch: EventBatch, data: st.DataObject) -> None:
    doc = json.loads(encode(batch))
    strings = [p for p in _paths(doc) if isinstance(_at(doc, p), str)]
    path = data.draw(st.sampled_from(strings))
    old = _at(doc, path)
    cut = data.draw(st.integers(0, len(old)))
    _at(doc, path[:-1])[path[-1]] = old[:cut] + "\x00" + old[cut:]
    refused = _refused(decode_batch, json.dumps(doc).encode())
    assert refused is not None and refused.reason == "invalid text"


def test_a_literal_backslash_u0000_is_text_not_nul() -> None:
    doc = json.loads(_one_event_batch())
    doc["events"][0]["body"]["detail"] = "\\u0000"
    decoded = decode_batch(json.dumps(doc).encode())
    assert decoded.events[0].body.detail == "\\u0000"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("field", "value"),
    [("outbox_depth", 2**31), ("cache_version", 2**31), ("outbox_depth", -1)],
)
def test_status_counters_past_the_hub_columns_are_refused(field: str, value: int) -> None:
    doc = {"schema_version": 1, "gateway_id": "gw-1", "state": "online", field: value}
    refused = _refused(decode_status, json.dumps(doc).encode())
    assert refused is not None and refused.reason == "invalid message"
    assert field in refused.detail


def test_oversized_payload_and_batch_are_refused() -> None:
    payload = encode(_FIXED)
    padded = payload[:-1] + b" " * MAX_PAYLOAD_BYTES + b"}"
    refused = _refused(decode_batch, padded)
    assert refused is not None and refused.reason == "payload too large"
    doc = json.loads(payload)
    doc["events"] = [{**doc["events"][0], "seq": s} for s in range(1, MAX_BATCH_EVENTS + 2)]
    refused = _refused(decode_batch, json.dumps(doc).encode())
    assert refused is not None and refused.reason == "invalid message"
    assert "events" in refused.detail


def test_member_no_fits_the_identifier_it_becomes() -> None:
    CardTapped(uid="DEADBEEF", technology="", reader="", member_no="M" * 128)
    with pytest.raises(ValidationError):
        CardTapped(uid="DEADBEEF", technology="", reader="", member_no="M" * 129)
