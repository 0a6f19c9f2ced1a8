"""The meaning layer: text records and profiles become wire bodies, or a BadRecord with a reason."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.errors import ConfigError
from edge.pos.profile import SP_TEXT_V1, PosProfile, RecordFields, resolve_profile
from edge.pos.records import BadRecord, RecordFault
from edge.pos.text_record import interpret, redact_record
from storepulse.emulators.pos_terminal import SaleLine, checkout_record, service_record
from wire.events import LineItem, PosCheckout, PosServiceLogged
from wire.identity import Identifier, IdentifierKind, keyed_hash

KEY = b"tenant-key-for-tests-0123456789ab"
GOOD = (
    "CHK|rcpt=R123|mbr=card_uid:04a1b2c3|staff=S7|cur=CNY|total=1280"
    "|item=SKU1*2@500:Amoxicillin|item=SKU2*1@280:Band%7Caid"
)


def _reject(payload: str, profile: PosProfile = SP_TEXT_V1) -> BadRecord:
    with pytest.raises(BadRecord) as info:
        interpret(payload, profile, KEY)
    assert info.value.raw == payload.encode()
    return info.value


def test_checkout_record_becomes_pos_checkout() -> None:
    body = interpret(GOOD, SP_TEXT_V1, KEY)
    assert body == PosCheckout(
        receipt_no="R123",
        items=[
            LineItem(sku="SKU1", name="Amoxicillin", qty=2, unit_price=500),
            LineItem(sku="SKU2", name="Band|aid", qty=1, unit_price=280),
        ],
        total=1280,
        currency="CNY",
        member=Identifier(kind=IdentifierKind.CARD_UID, value="04A1B2C3"),
        staff_id="S7",
    )


def test_service_record_becomes_pos_service_logged() -> None:
    body = interpret(
        "SVC|type=bp_check|mbr=member_no:M001|staff=S7|note=120%2F80 ok", SP_TEXT_V1, KEY
    )
    assert body == PosServiceLogged(
        service_type="bp_check",
        note="120/80 ok",
        member=Identifier(kind=IdentifierKind.MEMBER_NO, value="M001"),
        staff_id="S7",
    )


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "+8613800138000"])
def test_raw_phone_is_hashed_from_e164(raw: str) -> None:
    body = interpret(f"SVC|type=consult|mbr=phone:{raw}", SP_TEXT_V1, KEY)
    expected = keyed_hash(KEY, IdentifierKind.PHONE_HASH, "+8613800138000")
    assert body.member == Identifier(kind=IdentifierKind.PHONE_HASH, value=expected)


def test_discount_is_a_negative_line_and_currency_defaults_from_profile() -> None:
    body = interpret(
        "CHK|rcpt=R9|total=400|item=A*1@500|item=COUPON*1@-100:Coupon", SP_TEXT_V1, KEY
    )
    assert isinstance(body, PosCheckout)
    assert body.total == 400 and body.currency == "CNY" and body.member is None


@pytest.mark.parametrize(
    ("payload", "fault", "words"),
    [
        ("XYZ|rcpt=1", RecordFault.UNKNOWN_RECORD, "'XYZ'"),
        ("CHK|rcpt=R1|total=1000|item=A*1@900", RecordFault.TOTAL_MISMATCH, "900, total is 1000"),
        (
            "CHK|rcpt=R1|total=12.80|item=A*1@1280",
            RecordFault.BAD_VALUE,
            "total must be an integer",
        ),
        ("CHK|total=5|item=A*1@5", RecordFault.BAD_VALUE, "rcpt: Field required"),
        ("CHK|rcpt=R1|total=0", RecordFault.BAD_VALUE, "item:"),
        ("CHK|rcpt=R1|total=5|item=A*0@5", RecordFault.BAD_VALUE, "item.0.qty"),
        ("CHK|rcpt=R1|total=5|item=A@5", RecordFault.MALFORMED, "item 1"),
        ("CHK|rcpt=R1|rcpt=R2|total=5|item=A*1@5", RecordFault.MALFORMED, "twice"),
        ("CHK|rcpt|total=5|item=A*1@5", RecordFault.MALFORMED, "no '='"),
        ("CHK|rcpt=R1|cur=yuan|total=5|item=A*1@5", RecordFault.BAD_VALUE, "cur:"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=04A1", RecordFault.BAD_MEMBER, "kind:value"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=card_uid:XYZ", RecordFault.BAD_MEMBER, "hex"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=wechat:abc", RecordFault.BAD_MEMBER, "'wechat'"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=phone:12345", RecordFault.BAD_MEMBER, "phone"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=id_hash:abc", RecordFault.BAD_MEMBER, "64 hex"),
        ("CHK|rcpt=R%FF|total=5|item=A*1@5", RecordFault.MALFORMED, "UTF-8"),
        ("CHK|rcpt=SER-15%ZZ|total=5|item=A*1@5", RecordFault.MALFORMED, "'%ZZ'"),
        ("CHK|rcpt=R1|total=5|item=A*1@5:Amox%2", RecordFault.MALFORMED, "percent-encoding"),
        ("CHK|rcpt=R1%|total=5|item=A*1@5", RecordFault.MALFORMED, "percent-encoding"),
        (
            "CHK|rcpt=R%001|total=5|item=A*1@5",
            RecordFault.BAD_VALUE,
            "rcpt: must not contain a NUL",
        ),
        ("SVC|type=x|note=a%00b", RecordFault.BAD_VALUE, "note: must not contain a NUL"),
        ("CHK|rcpt=R1|total=5|item=A*1@5:a%00", RecordFault.BAD_VALUE, "item.0.name: must not"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|mbr=member_no:M%001", RecordFault.BAD_VALUE, "NUL"),
        ("CHK|rcpt=R1|total=5|item=A*1@5|staff=" + "s" * 201, RecordFault.BAD_VALUE, "staff:"),
        (
            "CHK|rcpt=R1|total=5|item=A*1@5|mbr=id_hash:310106199001012343",
            RecordFault.BAD_MEMBER,
            "id_hash must be 64 hex digits",
        ),
        ("SVC|type=x|item=A*1@5", RecordFault.MALFORMED, "no items"),
        ("SVC|note=hello", RecordFault.BAD_VALUE, "type: Field required"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(
    payload: str, fault: RecordFault, words: str
) -> None:
    error = _reject(payload)
    assert error.fault is fault
    assert error.reason.startswith(fault.value + ": ")
    assert words in error.reason


def test_phone_number_never_appears_in_the_reason() -> None:
    error = _reject("SVC|type=x|mbr=phone:+86 999")
    assert "999" not in error.reason


def test_an_id_number_never_appears_in_the_reason() -> None:
    error = _reject("CHK|rcpt=R1|total=5|item=A*1@5|mbr=id_hash:310106199001012343")
    assert "3101061990" not in error.reason


def test_a_dead_letter_of_a_record_keeps_no_member_or_long_number() -> None:
    raw = b"\x02CHK|rcpt=R1|mbr=phone:13800138000|total=5|note=ID 310106199001012343\x03ABCD\n"
    assert redact_record(raw, SP_TEXT_V1) == (
        b"\x02CHK|rcpt=R1|mbr=<redacted>|total=5|note=ID <redacted>\x03ABCD\n"
    )
    other = SP_TEXT_V1.model_copy(
        update={"field_keys": SP_TEXT_V1.field_keys.model_copy(update={"member": "cust"})}
    )
    assert redact_record(b"SALE|cust=tel:5123 4567|mbr=x", other) == b"SALE|cust=<redacted>|mbr=x"


def test_unknown_fields_are_ignored_unless_the_profile_is_strict() -> None:
    payload = "CHK|rcpt=R1|total=5|item=A*1@5|loyalty_pts=3"
    assert isinstance(interpret(payload, SP_TEXT_V1, KEY), PosCheckout)
    strict = SP_TEXT_V1.model_copy(update={"ignore_unknown_fields": False})
    assert "loyalty_pts" in _reject(payload, strict).reason


def test_another_pos_is_a_profile_not_a_code_branch() -> None:
    other = PosProfile.model_validate(
        {
            "name": "acme-till",
            "checkout_code": "SALE",
            "service_code": "CARE",
            "field_keys": {"receipt": "ticket", "member": "cust", "total": "sum", "item": "ln"},
            "member_kinds": {"card": "card_uid", "tel": "phone"},
            "default_currency": "HKD",
            "phone_region": "HK",
        }
    )
    body = interpret("SALE|ticket=T1|cust=card:04A1B2C3|sum=300|ln=X*3@100", other, KEY)
    assert isinstance(body, PosCheckout)
    assert (body.receipt_no, body.currency, body.total) == ("T1", "HKD", 300)
    assert body.member == Identifier(kind=IdentifierKind.CARD_UID, value="04A1B2C3")
    care = interpret("CARE|type=fit|cust=tel:5123 4567", other, KEY)
    hashed = keyed_hash(KEY, IdentifierKind.PHONE_HASH, "+85251234567")
    assert care.member == Identifier(kind=IdentifierKind.PHONE_HASH, value=hashed)
    assert _reject("CHK|rcpt=1", other).fault is RecordFault.UNKNOWN_RECORD


def test_profile_config_errors_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        RecordFields(receipt="x", member="x")
    with pytest.raises(ValueError, match="differ"):
        PosProfile(name="p", checkout_code="A", service_code="A")
    with pytest.raises(ConfigError, match="sp-text-v1"):
        resolve_profile("nope")
    assert resolve_profile("sp-text-v1") is SP_TEXT_V1


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=40)
lines = st.builds(
    SaleLine,
    sku=names.filter(lambda s: s.strip() != ""),
    qty=st.integers(1, 1000),
    unit_price=st.integers(-10_000, 100_000),
    name=names,
)


@given(st.lists(lines, min_size=1, max_size=8), names.filter(lambda s: s.strip() != ""))
def test_emulator_records_round_trip_through_the_parser(items: list[SaleLine], rcpt: str) -> None:
    body = interpret(checkout_record(rcpt, items, member="member_no:M 1|x"), SP_TEXT_V1, KEY)
    assert isinstance(body, PosCheckout)
    assert body.receipt_no == rcpt.strip()
    assert [(i.sku, i.qty, i.unit_price, i.name) for i in body.items] == [
        (i.sku.strip(), i.qty, i.unit_price, i.name.strip()) for i in items
    ]
    assert body.member == Identifier(kind=IdentifierKind.MEMBER_NO, value="M 1|x")
    service = interpret(service_record("bp", note="a|b%c=d\n"), SP_TEXT_V1, KEY)
    assert isinstance(service, PosServiceLogged) and service.note == "a|b%c=d"
