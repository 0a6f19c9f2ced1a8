"""Who owns what: tenants, regions, stores, staff and the gateway registry."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime

GATEWAY_ACTIVE = "active"
GATEWAY_REVOKED = "revoked"


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Which store a customer belongs to: hub/crm/ownership.py RULES.
    ownership_rule: Mapped[str] = mapped_column(
        String(32), default="home_store", server_default="home_store"
    )


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500), default="")  # the regional office
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    region_id: Mapped[str] = mapped_column(ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    latitude: Mapped[float | None] = mapped_column(Float, default=None)  # WGS 84
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # {"mon": [["09:00", "21:00"]], ...}: local times per weekday, several spans a day.
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open or closed
    # hub/crm/org/areas.py StoreArea as JSON: the customers living in it are the store's
    # when the tenant's ownership rule is "area".
    area: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True), default=None)


# Staff.role; the row scopes each one gets are in hub/auth (docs/security.md).
ROLE_ADMIN = "admin"
ROLE_REGIONAL_MANAGER = "regional_manager"
ROLE_STORE_MANAGER = "store_manager"
ROLE_STAFF = "staff"
ROLE_FIELD_ENGINEER = "field_engineer"
ROLES = (ROLE_ADMIN, ROLE_REGIONAL_MANAGER, ROLE_STORE_MANAGER, ROLE_STAFF, ROLE_FIELD_ENGINEER)

STAFF_ACTIVE = "active"
STAFF_LEFT = "left"


class Staff(Base):
    """A person who works for the tenant. `code` is what tills send as `staff_id`."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_staff_code"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # one of ROLES
    home_store_id: Mapped[str | None] = mapped_column(
        ForeignKey("stores.id"), index=True, default=None
    )
    region_id: Mapped[str | None] = mapped_column(
        ForeignKey("regions.id"), index=True, default=None
    )
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    on_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=STAFF_ACTIVE)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)  # E.164
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Gateway(Base):
    """The registry the hub trusts; store and tenant never come from a payload."""

    __tablename__ = "gateways"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=GATEWAY_ACTIVE)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # Fields of the last status message.
    online: Mapped[bool | None] = mapped_column(Boolean, default=None)
    version: Mapped[str] = mapped_column(String(200), default="")
    outbox_depth: Mapped[int | None] = mapped_column(Integer, default=None)
    cache_version: Mapped[int | None] = mapped_column(Integer, default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    clock_skew_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    skew_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
