"""The text record format carried in a frame payload (docs/pos-protocol.md, "Records").

    CHK|rcpt=R123|mbr=card_uid:04A1B2C3|staff=S7|cur=CNY|total=1280|item=SKU1*2@500:Amoxicillin
    SVC|type=bp_check|mbr=member_no:M001|staff=S7|note=120%2F80

Values are percent-encoded where they would contain `%`, `|` or a control character. The
profile names the record codes and field keys; this module only knows the shape.
"""

import re
from typing import Any, TypeVar
from urllib.parse import unquote

from pydantic import ValidationError

from edge.pos.profile import PosProfile
from edge.pos.records import (
    BadRecord,
    CheckoutRecord,
    RecordFault,
    ServiceRecord,
    summarise,
    to_body,
)
from wire.events import PosCheckout, PosServiceLogged
from wire.redaction import REDACTED, scrub_digit_runs

SEPARATOR = "|"
_ITEM = re.compile(
    r"^(?P<sku>[^*]+)\*(?P<qty>[0-9]{1,6})@(?P<price>-?[0-9]{1,11})(?::(?P<name>.*))?$"
)
_INT = re.compile(r"^-?[0-9]{1,11}$")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")  # unquote() would keep it literally
R = TypeVar("R", CheckoutRecord, ServiceRecord)


def interpret(
    payload: str, profile: PosProfile, tenant_key: bytes
) -> PosCheckout | PosServiceLogged:
    """A frame payload as a wire body; BadRecord (with the payload as raw) when it is not one."""
    try:
        return to_body(parse_record(payload, profile), profile, tenant_key)
    except BadRecord as exc:
        raise BadRecord(exc.fault, exc.detail, payload.encode()) from exc


def redact_record(raw: bytes, profile: PosProfile) -> bytes:
    """A frame or record for a dead letter: the member's value (a raw phone, perhaps) and any
    long digit run (the shape of phone and ID numbers) blanked out; the rest kept as sent."""
    key = re.escape(profile.field_keys.member.encode())
    member = re.compile(rb"(?<=\|)(" + key + rb"=)[^|\x03]*")
    return scrub_digit_runs(member.sub(rb"\g<1>" + REDACTED.encode(), raw))


def parse_record(payload: str, profile: PosProfile) -> CheckoutRecord | ServiceRecord:
    code, _, rest = payload.partition(SEPARATOR)
    fields, items = _split_fields(rest, profile)
    keys = profile.field_keys
    known = {keys.receipt, keys.member, keys.staff, keys.total, keys.currency, keys.terminal}
    if code == profile.checkout_code:
        _check_unknown(fields, known, profile)
        return _validate(CheckoutRecord, _checkout_data(fields, items, profile), profile)
    if code == profile.service_code:
        _check_unknown(fields, {keys.service_type, keys.note, keys.member, keys.staff}, profile)
        if items:
            raise BadRecord(RecordFault.MALFORMED, "a service record has no items")
        return _validate(ServiceRecord, _service_data(fields, profile), profile)
    codes = [profile.checkout_code, profile.service_code]
    raise BadRecord(RecordFault.UNKNOWN_RECORD, f"record code {code[:16]!r} is not one of {codes}")


def _split_fields(rest: str, profile: PosProfile) -> tuple[dict[str, str], list[str]]:
    """`key=value` parts as a dict (values still encoded) plus the raw item values in order."""
    fields: dict[str, str] = {}
    items: list[str] = []
    for part in rest.split(SEPARATOR) if rest else []:
        if not part:
            continue  # tolerate `||` and a trailing separator
        key, sep, value = part.partition("=")
        if not sep:
            raise BadRecord(RecordFault.MALFORMED, f"field {key[:32]!r} has no '='")
        if key == profile.field_keys.item:
            items.append(value)
        elif key in fields:
            raise BadRecord(RecordFault.MALFORMED, f"field {key[:32]!r} appears twice")
        else:
            fields[key] = value
    return fields, items


def _check_unknown(fields: dict[str, str], known: set[str], profile: PosProfile) -> None:
    unknown = sorted(set(fields) - known)
    if unknown and not profile.ignore_unknown_fields:
        raise BadRecord(RecordFault.MALFORMED, f"unknown fields {unknown}")


def _decode(value: str) -> str:
    bad = _BAD_ESCAPE.search(value)
    if bad is not None:
        found = value[bad.start() : bad.start() + 3]
        raise BadRecord(RecordFault.MALFORMED, f"bad percent-encoding {found!r}")
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRecord(RecordFault.MALFORMED, "percent-encoding is not UTF-8") from exc


def _optional(fields: dict[str, str], key: str) -> str | None:
    """An empty value means the same as an absent one."""
    value = fields.get(key, "")
    return _decode(value) if value else None


def _integer(value: str | None, key: str) -> int | None:
    if value is None:
        return None
    if not _INT.match(value):
        raise BadRecord(RecordFault.BAD_VALUE, f"{key} must be an integer in minor units")
    return int(value)


def _member(fields: dict[str, str], key: str) -> dict[str, str] | None:
    value = _optional(fields, key)
    if value is None:
        return None
    kind, sep, ident = value.partition(":")
    if not sep:
        raise BadRecord(RecordFault.BAD_MEMBER, f"{key} must be kind:value")
    return {"kind": kind, "value": ident}


def _item(raw: str, index: int) -> dict[str, Any]:
    match = _ITEM.match(raw)
    if match is None:
        raise BadRecord(RecordFault.MALFORMED, f"item {index} is not SKU*QTY@PRICE[:NAME]")
    return {
        "sku": _decode(match["sku"]),
        "qty": int(match["qty"]),
        "unit_price": int(match["price"]),
        "name": _decode(match["name"] or ""),
    }


def _checkout_data(fields: dict[str, str], items: list[str], profile: PosProfile) -> dict[str, Any]:
    keys = profile.field_keys
    data = {
        "receipt_no": _optional(fields, keys.receipt),
        "total": _integer(_optional(fields, keys.total), keys.total),
        "currency": _optional(fields, keys.currency),
        "member": _member(fields, keys.member),
        "staff_id": _optional(fields, keys.staff),
        "terminal": _optional(fields, keys.terminal),
        "items": [_item(raw, n) for n, raw in enumerate(items, start=1)],
    }
    return {name: value for name, value in data.items() if value is not None}


def _service_data(fields: dict[str, str], profile: PosProfile) -> dict[str, Any]:
    keys = profile.field_keys
    data = {
        "service_type": _optional(fields, keys.service_type),
        "note": _optional(fields, keys.note),
        "member": _member(fields, keys.member),
        "staff_id": _optional(fields, keys.staff),
    }
    return {name: value for name, value in data.items() if value is not None}


def _validate(model: type[R], data: dict[str, Any], profile: PosProfile) -> R:
    keys = profile.field_keys
    names = {
        "receipt_no": keys.receipt,
        "total": keys.total,
        "currency": keys.currency,
        "member": keys.member,
        "staff_id": keys.staff,
        "terminal": keys.terminal,
        "items": keys.item,
        "service_type": keys.service_type,
        "note": keys.note,
    }
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRecord(RecordFault.BAD_VALUE, summarise(exc, names)) from exc
