"""Typed ORM models of the hub. API schemas live in hub/api/schemas.py, not here."""

from hub.db.models.audit import AuditEntry
from hub.db.models.auth import ApiKey, Credential, LoginThrottle, RefreshToken
from hub.db.models.base import Base
from hub.db.models.crm import (
    MEMBER,
    PROVISIONAL,
    Customer,
    Identity,
    Purchase,
    PurchaseItem,
    Touchpoint,
)
from hub.db.models.custom_fields import CustomField
from hub.db.models.households import RELATIONS, Household, HouseholdMember
from hub.db.models.ingest import (
    OUTCOME_COMMITTED,
    OUTCOME_DEAD,
    CacheChange,
    CacheVersion,
    DeadLetter,
    DeadLetterDay,
    EventKey,
    RawEvent,
)
from hub.db.models.leads import Lead
from hub.db.models.offers import Offer
from hub.db.models.org import (
    GATEWAY_ACTIVE,
    GATEWAY_REVOKED,
    ROLE_ADMIN,
    ROLE_FIELD_ENGINEER,
    ROLE_REGIONAL_MANAGER,
    ROLE_STAFF,
    ROLE_STORE_MANAGER,
    ROLES,
    STAFF_ACTIVE,
    STAFF_LEFT,
    Gateway,
    Region,
    Staff,
    Store,
    Tenant,
)
from hub.db.models.stream import StreamCursor, StreamSegment

__all__ = [
    "GATEWAY_ACTIVE",
    "GATEWAY_REVOKED",
    "MEMBER",
    "OUTCOME_COMMITTED",
    "OUTCOME_DEAD",
    "PROVISIONAL",
    "RELATIONS",
    "ROLES",
    "ROLE_ADMIN",
    "ROLE_FIELD_ENGINEER",
    "ROLE_REGIONAL_MANAGER",
    "ROLE_STAFF",
    "ROLE_STORE_MANAGER",
    "STAFF_ACTIVE",
    "STAFF_LEFT",
    "ApiKey",
    "AuditEntry",
    "Base",
    "CacheChange",
    "CacheVersion",
    "Credential",
    "CustomField",
    "Customer",
    "DeadLetter",
    "DeadLetterDay",
    "EventKey",
    "Gateway",
    "Household",
    "HouseholdMember",
    "Identity",
    "Lead",
    "LoginThrottle",
    "Offer",
    "Purchase",
    "PurchaseItem",
    "RawEvent",
    "RefreshToken",
    "Region",
    "Staff",
    "Store",
    "StreamCursor",
    "StreamSegment",
    "Tenant",
    "Touchpoint",
]
