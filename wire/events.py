"""Events: what happened at a store, as the gateway saw it.

Each event is an envelope (`event_id`, `gateway_id`, `seq`, `occurred_at`,
`type`) with a typed body; `Event` is the union discriminated on `type`.
"""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from wire import SCHEMA_VERSION
from wire.identity import Identifier
from wire.limits import (
    IDENTIFIER_CHARS,
    MAX_SEQ,
    DetailText,
    KeyedHash,
    Money,
    NoteText,
    Quantity,
    RequiredText,
    SchemaVersion,
    ShortText,
    UtcDatetime,
    omit_none,
    text,
)
from wire.topics import GATEWAY_ID_PATTERN

GatewayId = Annotated[str, Field(pattern=GATEWAY_ID_PATTERN)]
# becomes an Identifier value, which holds at most IDENTIFIER_CHARS
MemberNo = Annotated[str, text(IDENTIFIER_CHARS)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CardTapped(_Body):
    uid: str = Field(pattern=r"^[0-9A-F]{8,20}$", description="tag UID, upper-case hex")
    technology: ShortText = Field(description="e.g. 'Type3Tag', 'Type2Tag'")
    reader: ShortText
    member_no: MemberNo | None = Field(default=None, description="from an NDEF text record")


class IdCardRead(_Body):
    card_hash: KeyedHash = Field(description="HMAC of the card number, never the number")
    profile: ShortText = Field(description="APDU profile that read the card")
    reader: ShortText


class LineItem(_Body):
    sku: ShortText
    name: ShortText = ""
    qty: Quantity
    unit_price: Money


class PosCheckout(_Body):
    receipt_no: RequiredText
    items: list[LineItem] = Field(min_length=1, max_length=500)
    total: Money = Field(description="the sum of qty × unit_price over the items, minor units")
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    member: Identifier | None = Field(default=None, description="the member the till named")
    staff_id: ShortText | None = Field(default=None, description="the clerk, as the POS knows them")
    terminal: ShortText = ""

    @model_validator(mode="after")
    def _items_add_up(self) -> "PosCheckout":
        # Refused, not flagged: a total that is not its lines is a till bug that would put
        # revenue in the CRM that no line explains (docs/wire.md, "Checkout totals").
        items_total = sum(item.qty * item.unit_price for item in self.items)
        if items_total != self.total:
            raise PydanticCustomError(
                "total_mismatch",
                "items add up to {items_total}, total is {total}",
                {"items_total": items_total, "total": self.total},
            )
        return self


class PosServiceLogged(_Body):
    service_type: RequiredText
    note: NoteText = ""
    member: Identifier | None = None
    staff_id: ShortText | None = None
    # Added with households; left out of the JSON when unset, so a hub that does not know
    # it yet reads a gateway's events as before.
    for_customer_id: ShortText | None = Field(
        default=None, description="family_purchase: the household member it was bought for"
    )

    @model_serializer(mode="wrap")
    def _unset_is_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_none(handler(self), "for_customer_id")


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
    note: NoteText = ""


class LeadCaptured(_Body):
    source: ShortText
    name: ShortText = ""
    contact: Identifier | None = None
    note: NoteText = ""


class ReaderStatus(_Body):
    reader: ShortText
    kind: Literal["nfc", "smartcard", "pos_serial", "pos_http"]
    state: Literal["up", "down", "error"]
    detail: DetailText = ""


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION
    event_id: UUID = Field(description="UUIDv7, the public id")
    gateway_id: GatewayId
    seq: int = Field(
        ge=1, le=MAX_SEQ, description="per-gateway counter; (gateway, epoch, seq) is unique"
    )
    occurred_at: UtcDatetime = Field(description="when it happened, by the gateway's clock")


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
