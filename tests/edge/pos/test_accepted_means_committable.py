"""What the edge accepts, the hub can commit: for any POS record (text or hook JSON) and any
NFC member-number text the edge's parsing accepts, the event it makes passes the hub's batch
decoder (wire.codec.decode_batch, which is what hub ingest runs). Before the limits moved into
the wire models, a NUL (`a\\u0000b` on the hook, `%00` on the serial line) or a raw ID number
in an `id_hash` member was accepted here and refused there."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import ndef  # type: ignore[import-untyped]
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from edge.errors import CardReadError
from edge.pos.hook import hook_body
from edge.pos.profile import resolve_profile
from edge.pos.records import BadRecord, CheckoutRecord, ServiceRecord
from edge.pos.text_record import interpret
from edge.readers.nfc import member_no_from_ndef
from wire.codec import decode_batch, encode
from wire.events import CardTapped, EventBody, make_event
from wire.messages import EventBatch

KEY = b"tenant-key-for-tests-0123456789ab"
PROFILE = resolve_profile("sp-text-v1", None)
AGREE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RAW_ID = "310106199001012343"  # the shape of a resident ID number (a made-up one)

# Strings near every limit: NUL and other control characters, the separators of a text
# record, CJK, and lengths either side of 200.
chars = st.characters(codec="utf-8") | st.sampled_from(["\x00", "|", "%", "*", "@", ":", "字"])
texts = st.text(chars, max_size=12) | st.text(chars, min_size=195, max_size=205)
members = st.one_of(
    st.tuples(st.just("card_uid"), st.from_regex(r"[0-9a-fA-F:]{6,24}", fullmatch=True)),
    st.tuples(st.just("member_no"), texts),
    st.tuples(st.just("phone"), st.sampled_from(["13800138000", "+86 138 0013 8000", "12"])),
    st.tuples(
        st.sampled_from(["id_hash", "phone_hash"]),
        st.sampled_from([RAW_ID, "A" * 64, "ab" * 32, "ab" * 32 + "\n", "0" * 63]),
    ),
    st.tuples(st.sampled_from(["wechat", ""]), texts),
)
quantities = st.integers(0, 100_001)
prices = st.integers(-(10**10) - 1, 10**10 + 1) | st.integers(-1000, 1000)


@st.composite
def checkouts(draw: st.DrawFn) -> dict[str, Any]:
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"sku": texts, "qty": quantities, "unit_price": prices},
                optional={"name": texts},
            ),
            min_size=1,
            max_size=3,
        )
    )
    items_total = sum(item["qty"] * item["unit_price"] for item in items)
    total = draw(st.just(items_total) | prices)  # mostly adding up, sometimes not
    record: dict[str, Any] = {"receipt_no": draw(texts), "total": total, "items": items}
    for key, values in [("staff_id", texts), ("terminal", texts), ("member", members)]:
        if draw(st.booleans()):
            record[key] = draw(values)
    if "member" in record:
        kind, value = record["member"]
        record["member"] = {"kind": kind, "value": value}
    return record


@st.composite
def services(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {"service_type": draw(texts)}
    if draw(st.booleans()):
        record["note"] = draw(texts | st.text(chars, min_size=1995, max_size=2005))
    if draw(st.booleans()):
        kind, value = draw(members)
        record["member"] = {"kind": kind, "value": value}
    return record


def _committable(body: EventBody) -> None:
    """The event the outbox would make of `body`, through the hub's decoder."""
    event = make_event(
        body, event_id=uuid.uuid4(), gateway_id="gw-1", seq=1, occurred_at=datetime.now(UTC)
    )
    batch = EventBatch(
        gateway_id="gw-1", epoch=uuid.uuid4(), sent_at=event.occurred_at, events=[event]
    )
    decoded = decode_batch(encode(batch))  # raises WireError when the hub would refuse it
    assert decoded.events[0].body == body


def _encoded(value: str, how: str) -> str:
    """A field value as a till might write it: percent-encoded, raw, or with a bad escape."""
    if how == "quoted":
        return quote(value, safe=" ")
    return value + "%ZZ" if how == "bad_escape" else value


def _text_record(record: dict[str, Any], service: bool, how: str) -> str:
    if service:
        parts = ["SVC", f"type={_encoded(record['service_type'], how)}"]
        if "note" in record:
            parts.append(f"note={_encoded(record['note'], how)}")
    else:
        parts = ["CHK", f"rcpt={_encoded(record['receipt_no'], how)}", f"total={record['total']}"]
        for item in record["items"]:
            name = f":{_encoded(item['name'], how)}" if "name" in item else ""
            sku = _encoded(item["sku"], how).replace("*", "%2A")
            parts.append(f"item={sku}*{item['qty']}@{item['unit_price']}{name}")
        for key, field in [("staff", "staff_id"), ("term", "terminal")]:
            if field in record:
                parts.append(f"{key}={_encoded(record[field], how)}")
    if "member" in record:
        member = f"{record['member']['kind']}:{record['member']['value']}"
        parts.append(f"mbr={_encoded(member, how)}")
    return "|".join(parts)


@AGREE
@given(
    record=checkouts() | services(),
    how=st.sampled_from(["quoted", "raw", "bad_escape"]),
)
@example(
    record={
        "receipt_no": "R1",
        "total": 5,
        "items": [{"sku": "A", "name": "a\x00b", "qty": 1, "unit_price": 5}],
    },
    how="quoted",
)
@example(
    record={
        "receipt_no": "R1",
        "total": 5,
        "items": [{"sku": "A", "qty": 1, "unit_price": 5}],
        "member": {"kind": "id_hash", "value": RAW_ID},
    },
    how="quoted",
)
def test_a_record_the_edge_accepts_is_one_the_hub_commits(record: dict[str, Any], how: str) -> None:
    service = "service_type" in record
    model = ServiceRecord if service else CheckoutRecord
    raw = json.dumps(record).encode()
    for parse in (
        lambda: hook_body(raw, model, PROFILE, KEY),
        lambda: interpret(_text_record(record, service, how), PROFILE, KEY),
    ):
        try:
            body = parse()
        except BadRecord:
            continue  # refused at the counter: the till is told, nothing is lost
        _committable(body)


@AGREE
@given(text=texts)
@example(text="M\x001")
def test_a_member_number_the_nfc_reader_accepts_is_one_the_hub_commits(text: str) -> None:
    octets = b"".join(ndef.message_encoder([ndef.TextRecord(text)]))
    try:
        member_no = member_no_from_ndef(octets)
    except CardReadError:
        return
    _committable(
        CardTapped(uid="04A1B2C3", technology="Type2Tag", reader="nfc-1", member_no=member_no)
    )
