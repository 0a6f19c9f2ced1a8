"""Offers the clerk's prompt names (docs/crm/offers.md): read by store roles, added and
retired by admins."""

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel

from hub.api.deps import RecordIdPath, ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm import offers
from hub.crm.offers import OfferDraft
from hub.db.models import Offer

router = APIRouter(prefix="/offers", tags=["crm"], responses={503: {"model": Problem}})


class OfferOut(BaseModel):
    id: str
    text: str
    tags: list[str]
    starts_at: datetime
    ends_at: datetime | None
    retired_at: datetime | None

    @classmethod
    def of(cls, o: Offer) -> "OfferOut":
        return cls(
            id=o.id,
            text=o.text,
            tags=[str(t) for t in o.tags],
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            retired_at=o.retired_at,
        )


@router.get("", response_model=list[OfferOut], responses={403: {"model": Problem}})
def list_offers(session: SessionDep, scope: ScopeDep, retired: bool = False) -> list[OfferOut]:
    """The tenant's offers, newest first; `retired=true` includes retired ones."""
    found = offers.list_offers(session=session, scope=scope, live_only=not retired)
    return [OfferOut.of(o) for o in found]


@router.post(
    "", response_model=OfferOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def add_offer(draft: OfferDraft, session: WriteSessionDep, scope: ScopeDep) -> OfferOut:
    """Admins only. Stores' caches follow at once for the customers it is for."""
    return OfferOut.of(offers.add_offer(session=session, scope=scope, draft=draft))


@router.delete("/{offer_id}", response_model=OfferOut, responses={**READ_ERRORS, **WRITE_ERRORS})
def retire_offer(offer_id: RecordIdPath, session: WriteSessionDep, scope: ScopeDep) -> OfferOut:
    """Admins only; retiring twice is the same as once. The offer leaves every cache."""
    return OfferOut.of(offers.retire_offer(session=session, scope=scope, offer_id=offer_id))
