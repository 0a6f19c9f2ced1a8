"""Messages other than single events: batches, acks, status, cache deltas, commands."""

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from wire import SCHEMA_VERSION
from wire.events import Event, GatewayId
from wire.identity import Identifier
from wire.limits import (
    DetailText,
    Money,
    NoteText,
    SchemaVersion,
    ShortText,
    UtcDatetime,
    omit_none,
)

MAX_BATCH_EVENTS = 1000


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION


class EventBatch(_Message):
    """One MQTT message on `.../events`: consecutive events of one outbox epoch."""

    gateway_id: GatewayId
    epoch: UUID = Field(description="made with the outbox file; a new file is a new epoch")
    sent_at: UtcDatetime = Field(description="gateway clock when this message was sent")
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH_EVENTS)

    @model_validator(mode="after")
    def _events_belong_to_sender(self) -> "EventBatch":
        for event in self.events:
            if event.gateway_id != self.gateway_id:
                raise ValueError(f"event seq {event.seq} names gateway {event.gateway_id!r}")
        return self


class SeqRange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    first: int = Field(ge=1)
    last: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "SeqRange":
        if self.last < self.first:
            raise ValueError("last < first")
        return self


class Refusal(BaseModel):
    """Why the hub could not settle (part of) a payload by seq."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: str = Field(max_length=200, description="e.g. 'invalid json', 'invalid message'")
    detail: str = Field(default="", max_length=500)


class Ack(_Message):
    """Hub -> gateway: these seqs of this epoch are settled (committed, or dead-lettered
    with their reason kept at the hub) and may be deleted from the outbox. `refused` says
    what the hub read no seq of: the whole payload (no ranges), or some of its events
    (without a valid seq); nothing is to be deleted for it."""

    gateway_id: GatewayId
    epoch: UUID | None = Field(description="null only when refused and no epoch was readable")
    committed: list[SeqRange] = Field(
        default_factory=list, description="stored at the hub: delete them from the outbox"
    )
    dead_lettered: list[SeqRange] = Field(
        default_factory=list,
        description="refused for good, the reason kept at the hub: delete them too",
    )
    refused: Refusal | None = None

    @model_validator(mode="after")
    def _ranges_need_an_epoch(self) -> "Ack":
        if self.epoch is None and (self.committed or self.dead_lettered or not self.refused):
            raise ValueError("an ack without an epoch is a refusal without seq ranges")
        return self


class ReaderState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ShortText
    kind: ShortText
    state: Literal["up", "down", "error"]
    detail: DetailText = ""


class GatewayStatus(_Message):
    """Retained on `.../status`; the offline form is also the Last Will."""

    gateway_id: GatewayId
    state: Literal["online", "offline"]
    version: ShortText = ""
    epoch: UUID | None = None
    clock: UtcDatetime | None = Field(default=None, description="gateway wall clock at send")
    # the hub keeps both in 32-bit columns
    outbox_depth: int = Field(default=0, ge=0, le=2**31 - 1, description="events not yet acked")
    cache_version: int = Field(
        default=0, ge=0, le=2**31 - 1, description="the cache's version; 0 asks for a snapshot"
    )
    readers: list[ReaderState] = Field(default_factory=list)


class PurchaseSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    at: UtcDatetime
    receipt_no: ShortText
    summary: ShortText = Field(description="e.g. 'Amoxicillin 500mg x2, Vitamin C'")
    total: Money
    currency: str = "CNY"


class TaskSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: ShortText
    title: ShortText
    due_at: UtcDatetime | None = None


class HouseholdMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: ShortText
    display_name: ShortText = Field(description="already masked by the hub, e.g. '吴*'")
    relation: Literal["self", "spouse", "parent", "child", "sibling", "other"] = Field(
        description="to the household's head (the member whose relation is 'self')"
    )


class FamilyPurchases(BaseModel):
    """Purchases one member made for another (家属代购)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    buyer_id: ShortText
    for_id: ShortText
    count: int = Field(ge=1)


class CachedHousehold(BaseModel):
    """The family a customer belongs to, for the clerk's prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    household_id: ShortText
    members: list[HouseholdMember] = Field(min_length=1, max_length=20)
    bought_for: list[FamilyPurchases] = Field(default_factory=list, max_length=50)
    family_phone: ShortText | None = Field(
        default=None, description="another member's phone, masked by the hub: '+86135****8888'"
    )
    decision_maker_id: ShortText | None = Field(
        default=None, description="the member who made over 60 % of its purchases"
    )


class CachedCustomer(BaseModel):
    """What a gateway needs to greet a customer without asking the hub."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: ShortText
    display_name: ShortText = Field(description="already masked by the hub, e.g. 'Wang *'")
    identifiers: list[Identifier] = Field(min_length=1, max_length=50)
    last_purchases: list[PurchaseSummary] = Field(default_factory=list, max_length=3)
    tags: list[ShortText] = Field(default_factory=list, max_length=50)
    open_tasks: list[TaskSummary] = Field(default_factory=list, max_length=20)
    offers: list[ShortText] = Field(default_factory=list, max_length=10)
    updated_at: UtcDatetime
    # Added after schema 1's first gateways; the defaults read an older hub's entry as before.
    membership: Literal["member", "provisional"] = Field(
        default="member",
        description="provisional: first seen by an unknown identifier, not yet enrolled",
    )
    home_store_id: ShortText | None = Field(
        default=None, description="the store they belong to (the tenant's ownership rule)"
    )
    home_store_name: ShortText = Field(default="", description="for the clerk: 'known at ...'")
    # Added with store ownership; a gateway must know it before a hub sends it (extra=forbid).
    home_store_purchases: int = Field(
        default=0, ge=0, description="their purchases at that store, for 'bought 3x at ...'"
    )
    # Added with households; left out of the JSON when None, so a gateway that does not
    # know it yet reads an entry without a household as before.
    household: CachedHousehold | None = None

    @model_serializer(mode="wrap")
    def _unset_is_absent(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_none(handler(self), "household")


MAX_CACHE_ENTRIES = 5000  # upserts (and deletes) of one cache message
MAX_SNAPSHOT_PARTS = 10_000


class SnapshotPart(BaseModel):
    """Where one message sits in a full snapshot. A gateway stages the parts of one
    `snapshot_id` and swaps them in together once it holds all `parts` of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    snapshot_id: UUID = Field(description="the same in every part of one snapshot")
    part: int = Field(ge=1, le=MAX_SNAPSHOT_PARTS, description="1-based index of this part")
    parts: int = Field(ge=1, le=MAX_SNAPSHOT_PARTS, description="how many parts it has")

    @model_validator(mode="after")
    def _within(self) -> "SnapshotPart":
        if self.part > self.parts:
            raise ValueError("part > parts")
        return self


class CacheDelta(_Message):
    """Hub -> gateway. A delta (base_version >= 1) is applied atomically, in version order;
    a gap asks for a resync. A full snapshot (base_version 0) comes in one or more parts,
    each carrying `snapshot`, applied together when all have arrived."""

    store_id: ShortText
    version: int = Field(ge=1, description="hub-side version after this delta")
    base_version: int = Field(ge=0, description="version this delta applies on; 0 = full")
    upserts: list[CachedCustomer] = Field(default_factory=list, max_length=MAX_CACHE_ENTRIES)
    deletes: list[ShortText] = Field(default_factory=list, max_length=MAX_CACHE_ENTRIES)
    snapshot: SnapshotPart | None = Field(
        default=None, description="on every part of a full snapshot (base_version 0) only"
    )

    @model_validator(mode="after")
    def _snapshot_parts_are_full(self) -> "CacheDelta":
        if (self.base_version == 0) != (self.snapshot is not None):
            raise ValueError("snapshot is given exactly when base_version is 0")
        if self.snapshot is not None and self.deletes:
            raise ValueError("a snapshot part has no deletes")
        return self


class ResyncCache(_Message):
    command: Literal["cache.resync"] = "cache.resync"


class ShowPrompt(_Message):
    command: Literal["prompt.show"] = "prompt.show"
    title: ShortText
    text: NoteText
    customer_id: ShortText | None = None


class RequestStatus(_Message):
    command: Literal["status.request"] = "status.request"


Command = Annotated[ResyncCache | ShowPrompt | RequestStatus, Field(discriminator="command")]
