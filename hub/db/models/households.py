"""Households: family members linked as one unit, each customer in at most one
(docs/crm/households.md). A member's relation is to the household's head, the member
whose relation is 'self'."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import UtcDateTime

RELATIONS = ("self", "spouse", "parent", "child", "sibling", "other")  # wire HouseholdMember


class Household(Base):
    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HouseholdMember(Base):
    __tablename__ = "household_members"
    __table_args__ = (Index("ix_household_members_household", "household_id"),)

    # The primary key is the customer: a customer is in at most one household.
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"))
    relation: Mapped[str] = mapped_column(String(16))  # one of RELATIONS
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
