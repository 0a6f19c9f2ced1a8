"""Events: what happened at a store, as the gateway saw it.

Each event is an envelope (`event_id`, `gateway_id`, `seq`, `occurred_at`,
`type`) with a typed body; `Event` is the union discriminated on `type`.
"""

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    WithJsonSchema,
)

from wire import SCHEMA_VERSION
from wire.identity import Identifier
from wire.topics import GATEWAY_ID_PATTERN


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:59-01:00 is past year 9999 in UTC
        raise ValueError("datetime out of range in UTC") from exc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


# Literal[1] accepts true and 1.0 (they compare equal); the contract means the integer. A
# strict int checked in Rust, published as the constant (no Python call per event).
SchemaVersion = Annotated[
    int, Strict(), Field(ge=1, le=1), WithJsonSchema({"const": 1, "type": "integer"})
]
Money = Annotated[int, Field(ge=-10_000_000_000, le=10_000_000_000, description="minor units")]
ShortText = Annotated[str, Field(max_length=200)]
GatewayId = Annotated[str, Field(pattern=GATEWAY_ID_PATTERN)]
MAX_SEQ = 2**63 - 1  # a signed 64-bit column holds it at the hub


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardTapped(_Body):
    uid: str = Field(pattern=r"^[0-9A-F]{8,20}$", description="tag UID, upper-case hex")
    technology: ShortText = Field(description="e.g. 'Type3Tag', 'Type2Tag'")
    reader: ShortText
    member_no: str | None = Field(
        default=None,
        max_length=128,  # becomes an Identifier value, which holds at most 128
        description="from an NDEF text record",
    )


class IdCardRead(_Body):
    card_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="HMAC of the card number")
    profile: ShortText = Field(description="APDU profile that read the card")
    reader: ShortText


class LineItem(_Body):
    sku: ShortText
    name: ShortText = ""
    qty: Annotated[int, Field(ge=1, le=100_000)]
    unit_price: Money


class PosCheckout(_Body):
    receipt_no: ShortText = Field(min_length=1)
    items: list[LineItem] = Field(min_length=1, max_length=500)
    total: Money
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    member: Identifier | None = None
    staff_id: ShortText | None = None
    terminal: ShortText = ""


class PosServiceLogged(_Body):
    service_type: ShortText = Field(min_length=1)
    note: str = Field(default="", max_length=2000)
    member: Identifier | None = None
    staff_id: ShortText | None = None


class PromptShown(_Body):
    prompt_id: UUID
    trigger: ShortText = Field(description="event type that caused the prompt")
    customer_id: ShortText | None = None
    identifier: Identifier | None = None


class PromptActed(_Body):
    prompt_id: UUID
    action: Literal["done", "dismissed"]
    customer_id: ShortText | None = None
    staff_id: ShortText | None = None
    note: str = Field(default="", max_length=2000)


class LeadCaptured(_Body):
    source: ShortText
    name: ShortText = ""
    contact: Identifier | None = None
    note: str = Field(default="", max_length=2000)


class ReaderStatus(_Body):
    reader: ShortText
    kind: Literal["nfc", "smartcard", "pos_serial", "pos_http"]
    state: Literal["up", "down", "error"]
    detail: str = Field(default="", max_length=500)


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION
    event_id: UUID = Field(description="UUIDv7, the public id")
    gateway_id: GatewayId
    seq: int = Field(
        ge=1,
        le=MAX_SEQ,
        description="per-gateway counter; (gateway, epoch, seq) is unique",
    )
    occurred_at: UtcDatetime


class CardTappedEvent(_Envelope):
    type: Literal["card.tapped"] = "card.tapped"
    body: CardTapped


class IdCardReadEvent(_Envelope):
    type: Literal["idcard.read"] = "idcard.read"
    body: IdCardRead


class PosCheckoutEvent(_Envelope):
    type: Literal["pos.checkout"] = "pos.checkout"
    body: PosCheckout


class PosServiceLoggedEvent(_Envelope):
    type: Literal["pos.service_logged"] = "pos.service_logged"
    body: PosServiceLogged


class PromptShownEvent(_Envelope):
    type: Literal["prompt.shown"] = "prompt.shown"
    body: PromptShown


class PromptActedEvent(_Envelope):
    type: Literal["prompt.acted"] = "prompt.acted"
    body: PromptActed


class LeadCapturedEvent(_Envelope):
    type: Literal["lead.captured"] = "lead.captured"
    body: LeadCaptured


class ReaderStatusEvent(_Envelope):
    type: Literal["reader.status"] = "reader.status"
    body: ReaderStatus


Event = Annotated[
    CardTappedEvent
    | IdCardReadEvent
    | PosCheckoutEvent
    | PosServiceLoggedEvent
    | PromptShownEvent
    | PromptActedEvent
    | LeadCapturedEvent
    | ReaderStatusEvent,
    Field(discriminator="type"),
]
EventBody = (
    CardTapped
    | IdCardRead
    | PosCheckout
    | PosServiceLogged
    | PromptShown
    | PromptActed
    | LeadCaptured
    | ReaderStatus
)
EVENT_TYPES: dict[type[_Body], type[_Envelope]] = {
    CardTapped: CardTappedEvent,
    IdCardRead: IdCardReadEvent,
    PosCheckout: PosCheckoutEvent,
    PosServiceLogged: PosServiceLoggedEvent,
    PromptShown: PromptShownEvent,
    PromptActed: PromptActedEvent,
    LeadCaptured: LeadCapturedEvent,
    ReaderStatus: ReaderStatusEvent,
}
EventAdapter: TypeAdapter[Event] = TypeAdapter(Event)


def make_event(
    body: EventBody, *, event_id: UUID, gateway_id: str, seq: int, occurred_at: datetime
) -> Event:
    """Wrap a body in the envelope of its type."""
    envelope = EVENT_TYPES[type(body)]
    event: Event = envelope(  # type: ignore[assignment,call-arg]
        event_id=event_id, gateway_id=gateway_id, seq=seq, occurred_at=occurred_at, body=body
    )
    return event
