"""The meaning layer: POS records (from a text frame or a JSON hook) become wire event bodies.

`CheckoutRecord` and `ServiceRecord` are what a POS may say, validated strictly (money is
an integer in minor units, never a float) against the limits of the wire contract
(`wire.limits`: no NUL, lengths, ranges), so what the till is told is stored is what the hub
can commit. `to_body` turns the member reference into an `Identifier` and builds the wire
body, whose own rules (items add up to the total, hashes are hashes) decide the rest.
"""

import re
from enum import StrEnum
from typing import Annotated

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from edge.errors import PosFrameError
from edge.pos.profile import PosProfile
from wire.codec import error_message
from wire.events import LineItem, PosCheckout, PosServiceLogged
from wire.identity import Identifier, IdentifierKind, is_keyed_hash, keyed_hash, normalise_uid
from wire.limits import (
    IdentifierValue,
    Money,
    NoteText,
    Quantity,
    RequiredText,
    ShortText,
    text,
)

MinorUnits = Annotated[Money, Strict()]
_UID = re.compile(r"^[0-9A-F]{8,20}$")


class RecordFault(StrEnum):
    UNKNOWN_RECORD = "unknown_record"  # record code not in the profile
    MALFORMED = "malformed"  # not `CODE|key=value|...`, duplicate field, bad item syntax
    BAD_VALUE = "bad_value"  # a field is missing or out of range
    BAD_MEMBER = "bad_member"  # unknown member kind or an invalid card UID / phone / hash
    TOTAL_MISMATCH = "total_mismatch"  # items do not add up to the total


class BadRecord(PosFrameError):
    """A well-framed record that means nothing valid; `fault` is the machine-readable reason."""

    def __init__(self, fault: RecordFault, detail: str, raw: bytes = b"") -> None:
        super().__init__(f"{fault.value}: {detail}", raw)
        self.fault = fault
        self.detail = detail


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class MemberRef(_Record):
    kind: Annotated[str, text(32, min_length=1)] = Field(description="a member kind of the profile")
    value: IdentifierValue


class ItemRecord(_Record):
    sku: RequiredText
    name: ShortText = ""
    qty: Annotated[Quantity, Strict()]
    unit_price: MinorUnits


class CheckoutRecord(_Record):
    receipt_no: RequiredText
    items: list[ItemRecord] = Field(min_length=1, max_length=500)
    total: MinorUnits
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    member: MemberRef | None = None
    staff_id: ShortText | None = None
    terminal: ShortText = ""


class ServiceRecord(_Record):
    service_type: RequiredText
    note: NoteText = ""
    member: MemberRef | None = None
    staff_id: ShortText | None = None


def summarise(exc: ValidationError, names: dict[str, str] | None = None) -> str:
    """One line naming each bad field, for logs, 422 bodies and dead-letter reasons.

    `names` renames top-level fields (to the keys a text record uses)."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in error["loc"]]
        if loc and names:
            loc[0] = names.get(loc[0], loc[0])
        message = error_message(error)
        parts.append(f"{'.'.join(loc)}: {message}" if loc else message)
    return "; ".join(parts)


def fault_of(exc: ValidationError) -> RecordFault:
    """The record fault a wire model's refusal stands for."""
    kinds = {error["type"] for error in exc.errors(include_url=False, include_input=False)}
    if "total_mismatch" in kinds:
        return RecordFault.TOTAL_MISMATCH
    if "not_a_hash" in kinds:
        return RecordFault.BAD_MEMBER
    return RecordFault.BAD_VALUE


def resolve_member(ref: MemberRef, profile: PosProfile, tenant_key: bytes) -> Identifier:
    """The identifier a member reference stands for; raw phone numbers are hashed here."""
    kind = profile.member_kinds.get(ref.kind)
    if kind is None:
        known = sorted(profile.member_kinds)
        raise BadRecord(RecordFault.BAD_MEMBER, f"unknown member kind {ref.kind!r}; known {known}")
    if kind == "phone":
        return Identifier(
            kind=IdentifierKind.PHONE_HASH, value=_phone_hash(ref.value, profile, tenant_key)
        )
    if kind is IdentifierKind.CARD_UID:
        value = normalise_uid(ref.value)
        if not _UID.match(value):
            raise BadRecord(RecordFault.BAD_MEMBER, "card_uid must be 8-20 hex digits")
    elif kind in (IdentifierKind.PHONE_HASH, IdentifierKind.ID_HASH):
        value = ref.value.lower()
        if not is_keyed_hash(value):  # the reason never quotes it: it may be the raw number
            raise BadRecord(RecordFault.BAD_MEMBER, f"{kind.value} must be 64 hex digits")
    else:
        value = ref.value
    return Identifier(kind=kind, value=value)


def _phone_hash(raw: str, profile: PosProfile, tenant_key: bytes) -> str:
    # the number itself stays out of every message: it is personal data
    try:
        number = phonenumbers.parse(raw, profile.phone_region)
    except phonenumbers.NumberParseException as exc:
        raise BadRecord(RecordFault.BAD_MEMBER, "phone is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise BadRecord(RecordFault.BAD_MEMBER, "phone is not a valid number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return keyed_hash(tenant_key, IdentifierKind.PHONE_HASH, e164)


def to_body(
    record: CheckoutRecord | ServiceRecord, profile: PosProfile, tenant_key: bytes
) -> PosCheckout | PosServiceLogged:
    """The wire body of a record; BadRecord when it does not add up."""
    try:
        member = (
            None if record.member is None else resolve_member(record.member, profile, tenant_key)
        )
        if isinstance(record, ServiceRecord):
            return PosServiceLogged(
                service_type=record.service_type,
                note=record.note,
                member=member,
                staff_id=record.staff_id,
            )
        return _checkout(record, profile, member)
    except ValidationError as exc:
        raise BadRecord(fault_of(exc), summarise(exc)) from exc


def _checkout(
    record: CheckoutRecord, profile: PosProfile, member: Identifier | None
) -> PosCheckout:
    items = [
        LineItem(sku=i.sku, name=i.name, qty=i.qty, unit_price=i.unit_price) for i in record.items
    ]
    return PosCheckout(
        receipt_no=record.receipt_no,
        items=items,
        total=record.total,
        currency=record.currency or profile.default_currency,
        member=member,
        staff_id=record.staff_id,
        terminal=record.terminal,
    )
