"""Offers: what the clerk's prompt says to offer (wire `CachedCustomer.offers`).

An admin adds an offer for the customers who carry any of its tags (no tags: everyone),
from `starts_at` until `ends_at`, and retires it when it is over. Both are audited, and
queue the customers the offer is for, so their stores' caches follow at once. Which
offers apply is decided when a cache entry is built (`offers_for`), at most ten, newest
first."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from sqlalchemy import text
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.customer_changes import mark_changed, mark_tenant
from hub.crm.org.fields import PRINTABLE
from hub.crm.org.scoping import require
from hub.crm.retirement import of_tenant, retire
from hub.db.models import Offer

MAX_SHOWN = 10  # wire: CachedCustomer.offers
# No control characters: PostgreSQL refuses a NUL in text, and a clerk's screen any of them.
_TEXT = StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE)
OfferText = Annotated[str, _TEXT]
Tag = Annotated[str, _TEXT]


def _iso_text(value: object) -> object:
    """A time is an ISO 8601 string with its offset, never a bare number of seconds."""
    if not isinstance(value, str | datetime):
        raise ValueError("give the time as ISO 8601 text, e.g. 2026-12-03T09:00:00+08:00")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
READERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.STAFF})

APPLYING = text(
    "SELECT c.id, o.text FROM customers c JOIN offers o ON o.tenant_id = c.tenant_id "
    "WHERE c.id = ANY(:ids) AND o.retired_at IS NULL AND o.starts_at <= :now "
    "AND (o.ends_at IS NULL OR o.ends_at > :now) AND (o.tags = '[]'::jsonb OR "
    "jsonb_exists_any(o.tags, ARRAY(SELECT jsonb_array_elements_text(c.tags)))) "
    "ORDER BY c.id, o.created_at DESC, o.id"
)
TAGGED = text(
    "SELECT id FROM customers WHERE tenant_id = :tenant_id "
    "AND jsonb_exists_any(tags, CAST(:tags AS text[]))"
)


class OfferDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: OfferText = Field(examples=["今日血压计 8 折"])
    tags: list[Tag] = Field(
        default_factory=list, max_length=20, description="for customers with any of these"
    )
    starts_at: IsoTime | None = Field(default=None, description="default: now")
    ends_at: IsoTime | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "OfferDraft":
        if self.ends_at is not None and self.ends_at <= (self.starts_at or datetime.now(UTC)):
            raise ValueError("ends_at must be after starts_at (and after now)")
        return self


def list_offers(*, session: Session, scope: Scope, live_only: bool = True) -> list[Offer]:
    require(scope.role in READERS, "your role does not read offers")
    stmt = of_tenant(Offer, scope.tenant_id, live_only=live_only)
    return list(session.scalars(stmt.order_by(Offer.created_at.desc(), Offer.id)))


def add_offer(*, session: Session, scope: Scope, draft: OfferDraft) -> Offer:
    require(scope.role is Role.ADMIN, "only admins add offers")
    now = datetime.now(UTC)
    offer = Offer(
        id=f"off-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        text=draft.text,
        tags=sorted(set(draft.tags)),
        starts_at=draft.starts_at or now,
        ends_at=draft.ends_at,
        created_at=now,
    )
    session.add(offer)
    session.flush()
    audit.record(session, scope, "create", "offer", offer.id, after=_shown(offer))
    _caches_follow(session, offer, now)
    return offer


def retire_offer(*, session: Session, scope: Scope, offer_id: str) -> Offer:
    require(scope.role is Role.ADMIN, "only admins retire offers")
    offer, retired_now = retire(session, scope, Offer, offer_id, noun="offer", shown=_shown)
    if retired_now is not None:
        _caches_follow(session, offer, retired_now)
    return offer


def offers_for(
    session: Session, customer_ids: Iterable[str], now: datetime
) -> dict[str, list[str]]:
    """customer -> the texts of the offers that apply to them now, newest first."""
    ids = sorted(set(customer_ids))
    found: dict[str, list[str]] = defaultdict(list)
    if ids:
        for customer_id, offer in session.execute(APPLYING, {"ids": ids, "now": now}):
            if len(found[customer_id]) < MAX_SHOWN:
                found[customer_id].append(offer)
    return dict(found)


def _shown(offer: Offer) -> dict[str, object]:
    ends = offer.ends_at.isoformat() if offer.ends_at else None
    return {"text": offer.text, "tags": offer.tags, "starts_at": offer.starts_at.isoformat(),
            "ends_at": ends}  # fmt: skip


def _caches_follow(session: Session, offer: Offer, now: datetime) -> None:
    if not offer.tags:
        mark_tenant(session, offer.tenant_id, now)
        return
    tagged = session.scalars(TAGGED, {"tenant_id": offer.tenant_id, "tags": offer.tags}).all()
    mark_changed(session, offer.tenant_id, tagged, now)
