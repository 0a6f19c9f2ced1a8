"""API response shapes, separate from the ORM models they are built from."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Problem(_Out):
    detail: str


class MqttLinkHealth(_Out):
    connected: bool
    disconnects: int = Field(description="times the link went down since the hub started")
    last_disconnect: str | None = Field(default=None, description="the broker's last reason")
    max_message_bytes: int = Field(description="largest payload the hub publishes on it")


class ConsumerRun(_Out):
    """A stream consumer's thread in this process."""

    running: bool = Field(description="the consumer's thread is alive")
    failures: int = Field(description="rounds that failed (and were retried) since start")
    last_error: str | None = Field(default=None, description="None once a round succeeds")


class ConsumerHealth(_Out):
    lag_events: int = Field(description="committed events this consumer has not applied yet")
    lag_seconds: float = Field(description="age of the oldest of them (0 when none wait)")
    run: ConsumerRun | None = Field(default=None, description="None: not run in this process")


class Health(_Out):
    status: str = Field(
        description="ok; degraded (503) when the MQTT link or a stream consumer is down"
    )
    database: str
    mqtt: MqttLinkHealth | None = Field(default=None, description="None: no MQTT link here")
    consumers: dict[str, ConsumerHealth] = Field(
        default_factory=dict,
        description="each consumer of the committed event stream (crm: the CRM projection)",
    )


class IdentityOut(_Out):
    kind: str
    value_masked: str
    since: datetime


class ItemOut(_Out):
    sku: str
    name: str
    qty: int
    unit_price: int


class PurchaseOut(_Out):
    receipt_no: str
    at: datetime
    store_id: str
    total: int
    currency: str
    staff_id: str | None
    items: list[ItemOut]


class TouchpointOut(_Out):
    kind: str
    channel: str
    at: datetime
    store_id: str
    staff_id: str | None
    detail: str


class CustomerProfile(_Out):
    id: str
    name: str
    display_name: str
    phone_masked: str | None
    status: str
    home_store_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class Customer360(_Out):
    profile: CustomerProfile
    identities: list[IdentityOut]
    purchases: list[PurchaseOut]  # newest first, at most `limit`
    touchpoints: list[TouchpointOut]  # newest first, at most `limit`
    purchases_next: str | None = Field(
        description="Cursor for GET /customers/{id}/purchases?before=…; null: no older ones"
    )
    touchpoints_next: str | None = Field(
        description="Cursor for GET /customers/{id}/touchpoints?before=…; null: no older ones"
    )


class PurchasePage(_Out):
    purchases: list[PurchaseOut]
    next: str | None = Field(description="Cursor of the next (older) page; null: no more")


class TouchpointPage(_Out):
    touchpoints: list[TouchpointOut]
    next: str | None = Field(description="Cursor of the next (older) page; null: no more")


class GatewayOut(_Out):
    id: str
    store_id: str
    registry_status: str  # active / revoked
    online: bool  # reported online and heard from within the offline window
    stale: bool  # reported online but silent for longer than the window
    last_seen_at: datetime | None
    version: str
    outbox_depth: int | None
    cache_version: int | None
    clock_skew_seconds: float | None
    skew_flagged: bool
    dead_letters_today: int = Field(description="dead letters kept from it this UTC day")
    dead_letter_bytes_today: int = Field(description="their bytes, counted against the cap")
    dead_letters_dropped_today: int = Field(
        description="dead letters not kept this UTC day: its daily byte cap was used up"
    )
    dead_letters_capped: bool = Field(description="the cap was reached today")


class AuditEntryOut(_Out):
    id: int
    at: datetime
    actor: str = Field(description='"staff:<id>", "key:<id>" or "cli:<os user>"')
    actor_role: str
    action: str = Field(description="create, update, delete, export, login, …")
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None = Field(description="the X-Request-ID of the request, if any")


class AuditPage(_Out):
    items: list[AuditEntryOut]
    next: int | None = Field(description="pass as `before` for older entries; None: no more")
