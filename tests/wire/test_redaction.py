"""Dead letters keep no raw ID or phone number (wire/redaction.py): known answers."""

import json

import pytest

from wire.redaction import redact_payload

RAW_ID = "310106199001012343"
HASH = "0f" * 32
R = "<redacted>"
CARD_READ_GONE = {
    "type": "idcard.read",
    "body": dict.fromkeys(["card_hash", "reader", "profile"], R),
}


def _j(doc: object) -> bytes:
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("doc", "hub", "edge"),
    [
        (  # a raw number as a hash: gone on both sides
            {"member": {"kind": "id_hash", "value": RAW_ID}},
            {"member": {"kind": "id_hash", "value": "<redacted>"}},
            {"member": {"kind": "id_hash", "value": "<redacted>"}},
        ),
        (  # a real hash stays at the hub; the edge keeps no identifier at all
            {"contact": {"kind": "phone_hash", "value": HASH}},
            {"contact": {"kind": "phone_hash", "value": HASH}},
            {"contact": {"kind": "phone_hash", "value": "<redacted>"}},
        ),
        (  # a POS member reference with the raw phone, and a tag's member number
            {"member": {"kind": "phone", "value": "138 0013 8000"}, "member_no": "M1"},
            {"member": {"kind": "phone", "value": "138 0013 8000"}, "member_no": "M1"},
            {"member": {"kind": "phone", "value": "<redacted>"}, "member_no": "<redacted>"},
        ),
        (  # a card read with the number for a hash keeps nothing
            {"type": "idcard.read", "body": {"card_hash": RAW_ID, "reader": "r", "profile": "p"}},
            CARD_READ_GONE,
            CARD_READ_GONE,
        ),
        (  # a card read with a real hash keeps it, its reader and profile, and nothing else
            {"type": "idcard.read", "body": {"card_hash": HASH, "reader": "r", "number": RAW_ID}},
            {"type": "idcard.read", "body": {"card_hash": HASH, "reader": "r", "number": R}},
            {"type": "idcard.read", "body": {"card_hash": HASH, "reader": "r", "number": R}},
        ),
    ],
)  # fmt: skip
def test_json_is_redacted_by_structure(doc: object, hub: object, edge: object) -> None:
    assert json.loads(redact_payload(_j(doc))) == hub
    assert json.loads(redact_payload(_j(doc), every_identifier=True)) == edge


def test_a_payload_with_nothing_to_redact_is_kept_byte_for_byte() -> None:
    raw = b'{"events":[{"seq": 1,  "body": {"uid": "04A1B2C3"}}]}'
    assert redact_payload(raw) is raw


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        (b'{"value":"31010619900101234X", "seq"', b'{"value":"<redacted>", "seq"'),
        (b"\xff mbr=13800138000|", b"\xff mbr=<redacted>|"),
        (  # not inside a hash or a uuid
            b'"0195a3c4-0000-7000-8000-000000000001" "ab12345678901234cd" 123456',
            b'"0195a3c4-0000-7000-8000-000000000001" "ab12345678901234cd" 123456',
        ),
    ],
)
def test_what_does_not_parse_loses_its_long_digit_runs(raw: bytes, kept: bytes) -> None:
    assert redact_payload(raw) == kept


def test_the_edge_also_blanks_identifier_strings_of_broken_json() -> None:
    raw = b'{"member": {"kind": "phone", "value": "138 0013 8000"}, "total": '
    kept = b'{"member": {"kind": "phone", "value": "<redacted>"}, "total": '
    assert redact_payload(raw, every_identifier=True) == kept


def test_deeply_nested_json_does_not_break_redaction() -> None:
    raw = b"[" * 5000 + b"]" * 5000
    assert redact_payload(raw) == raw
