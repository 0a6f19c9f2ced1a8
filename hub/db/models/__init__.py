"""Typed ORM models of the hub. API schemas live in hub/api/schemas.py, not here."""

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
from hub.db.models.ingest import (
    OUTCOME_COMMITTED,
    OUTCOME_DEAD,
    CacheVersion,
    DeadLetter,
    DeadLetterDay,
    EventKey,
    ProjectionJob,
    RawEvent,
)
from hub.db.models.org import GATEWAY_ACTIVE, GATEWAY_REVOKED, Gateway, Region, Store, Tenant

__all__ = [
    "GATEWAY_ACTIVE",
    "GATEWAY_REVOKED",
    "MEMBER",
    "OUTCOME_COMMITTED",
    "OUTCOME_DEAD",
    "PROVISIONAL",
    "Base",
    "CacheVersion",
    "Customer",
    "DeadLetter",
    "DeadLetterDay",
    "EventKey",
    "Gateway",
    "Identity",
    "ProjectionJob",
    "Purchase",
    "PurchaseItem",
    "RawEvent",
    "Region",
    "Store",
    "Tenant",
    "Touchpoint",
]
