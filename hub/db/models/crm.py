"""Customers, their identities, purchases and touchpoints."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db.models.base import Base
from hub.db.types import JsonDoc, UtcDateTime

# Customer.status: a known person, or one first seen by an unknown identifier (the cache
# and the clerk's prompt say "not yet a member" until someone enrols them).
MEMBER = "member"
PROVISIONAL = "provisional"
# Rows whose till staff_id named nobody yet: few, and what resolving a new code reads.
UNKNOWN = text("staff_unknown")
# 家属代购 ticks that named a member: what a new checkout is matched against.
FAMILY_TICK = text("for_customer_id IS NOT NULL")


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index(
            "ix_customers_custom",
            "custom",
            postgresql_using="gin",
            postgresql_ops={"custom": "jsonb_path_ops"},
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str | None] = mapped_column(String(32), default=None)  # E.164
    home_store_id: Mapped[str | None] = mapped_column(
        ForeignKey("stores.id"), index=True, default=None
    )
    # The member of staff who looks after this customer (theirs to see, whatever the store).
    owner_staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(16), default=MEMBER)  # MEMBER or PROVISIONAL
    latitude: Mapped[float | None] = mapped_column(Float, default=None)  # where they live
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    tags: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    # The tenant's custom fields (hub/crm/custom_fields), validated on every write.
    custom: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict, server_default="{}")
    birthday: Mapped[date | None] = mapped_column(Date, default=None)
    # Set when a merge folded this record into another (hub/crm/merge): hidden from every
    # read until the merge is undone.
    merged_into: Mapped[str | None] = mapped_column(
        ForeignKey("customers.id"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    identities: Mapped[list["Identity"]] = relationship(
        back_populates="customer", order_by="Identity.id", foreign_keys="Identity.customer_id"
    )
    purchases: Mapped[list["Purchase"]] = relationship(
        order_by="Purchase.at.desc()", foreign_keys="Purchase.customer_id"
    )
    touchpoints: Mapped[list["Touchpoint"]] = relationship(order_by="Touchpoint.at.desc()")


class Identity(Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value", name="uq_identities_value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # wire.identity.IdentifierKind
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class Purchase(Base):
    __tablename__ = "purchases"
    # A customer's newest purchases in one range scan (migration 0003); also serves the
    # plain customer_id lookups the old single-column index did.
    __table_args__ = (
        Index("ix_purchases_customer_at", "customer_id", "at", "id"),
        Index("ix_purchases_staff_unknown", "tenant_id", "staff_id", postgresql_where=UNKNOWN),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    gateway_id: Mapped[str | None] = mapped_column(String(64), default=None)
    event_id: Mapped[str | None] = mapped_column(String(36), unique=True, default=None)
    receipt_no: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    total: Mapped[int] = mapped_column(BigInteger)  # minor units
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    staff_id: Mapped[str | None] = mapped_column(String(200), default=None)  # as the till sent
    staff_ref: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    staff_unknown: Mapped[bool] = mapped_column(Boolean, default=False)  # a code nobody has
    terminal: Mapped[str] = mapped_column(String(200), default="")
    # 家属代购: the household member it was bought for (hub/crm/households/family.py).
    for_customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"), default=None)

    items: Mapped[list["PurchaseItem"]] = relationship(order_by="PurchaseItem.id")


class PurchaseItem(Base):
    __tablename__ = "purchase_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))  # read through purchases
    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), index=True)
    sku: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)


class Touchpoint(Base):
    """One contact with a customer: kinds visit, checkout, service, prompt_acted, lead."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        Index("ix_touchpoints_customer_at", "customer_id", "at", "id"),
        Index("ix_touchpoints_staff_unknown", "tenant_id", "staff_id", postgresql_where=UNKNOWN),
        Index("ix_touchpoints_family", "customer_id", "at", postgresql_where=FAMILY_TICK),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))  # nfc, idcard, pos, store_device, ...
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    staff_id: Mapped[str | None] = mapped_column(String(200), default=None)  # as the till sent
    staff_ref: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    staff_unknown: Mapped[bool] = mapped_column(Boolean, default=False)  # a code nobody has
    detail: Mapped[str] = mapped_column(String(2000), default="")
    event_id: Mapped[str | None] = mapped_column(String(36), default=None)
    # A 家属代购 tick: the member the clerk named, as the gateway sent it (not a key).
    for_customer_id: Mapped[str | None] = mapped_column(String(64), default=None)
