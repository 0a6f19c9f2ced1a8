"""Stores: list, read, create, change, and each store's gateways."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from hub.api.deps import (
    GatewaysReadDep,
    ScopeDep,
    SessionDep,
    SettingsDep,
    StoreIdPath,
    WriteSessionDep,
)
from hub.api.org_schemas import StoreOut, StorePage
from hub.api.routes.org_params import (
    DEFAULT_LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    After,
    Limit,
    SlugQuery,
)
from hub.api.schemas import GatewayOut, Problem
from hub.crm.org import stores
from hub.crm.org.inputs import StoreChanges, StoreDraft
from hub.gateways.status import GatewayHealth, store_gateways

router = APIRouter(prefix="/stores", tags=["stores"], responses={503: {"model": Problem}})
StatusQuery = Annotated[Literal["open", "closed"] | None, Query()]


@router.get("", response_model=StorePage)
def list_stores(
    session: SessionDep,
    scope: ScopeDep,
    region: SlugQuery = None,
    status: StatusQuery = None,
    after: After = None,
    limit: Limit = DEFAULT_LIMIT,
) -> StorePage:
    """The stores the caller reaches, in id order, of one region or status if asked."""
    page = stores.list_stores(
        session=session, scope=scope, region_id=region, status=status, after=after, limit=limit
    )
    return StorePage(stores=[StoreOut.of(s) for s in page.rows], next=page.next_cursor)


@router.get("/{store_id}", response_model=StoreOut, responses=READ_ERRORS)
def get_store(store_id: StoreIdPath, session: SessionDep, scope: ScopeDep) -> StoreOut:
    return StoreOut.of(stores.get_store(session=session, scope=scope, store_id=store_id))


@router.post(
    "", response_model=StoreOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_store(draft: StoreDraft, session: WriteSessionDep, scope: ScopeDep) -> StoreOut:
    """Admins, and regional managers in their regions."""
    return StoreOut.of(stores.create_store(session=session, scope=scope, draft=draft))


@router.patch("/{store_id}", response_model=StoreOut, responses=WRITE_ERRORS)
def update_store(
    store_id: StoreIdPath, changes: StoreChanges, session: WriteSessionDep, scope: ScopeDep
) -> StoreOut:
    """Only the fields given change. Moving a store to another region: admins and regional
    managers (into a region of theirs)."""
    store = stores.update_store(session=session, scope=scope, store_id=store_id, changes=changes)
    return StoreOut.of(store)


@router.get("/{store_id}/gateways", response_model=list[GatewayOut], responses=READ_ERRORS)
def list_gateways(
    store_id: StoreIdPath, session: SessionDep, settings: SettingsDep, scope: GatewaysReadDep
) -> list[GatewayOut]:
    """Each gateway of the store; one silent for longer than the offline window is offline.
    A store out of the caller's scope is 404."""
    now = datetime.now(UTC)
    health = store_gateways(session, scope, store_id, now, settings.gateway_offline_after_seconds)
    return [_to_out(h) for h in health]


def _to_out(h: GatewayHealth) -> GatewayOut:
    g, letters = h.gateway, h.letters_today
    return GatewayOut(
        id=g.id,
        store_id=g.store_id,
        registry_status=g.status,
        online=h.online,
        stale=h.stale,
        last_seen_at=g.last_seen_at,
        version=g.version,
        outbox_depth=g.outbox_depth,
        cache_version=g.cache_version,
        clock_skew_seconds=g.clock_skew_seconds,
        skew_flagged=g.skew_flagged,
        dead_letters_today=letters.kept if letters else 0,
        dead_letter_bytes_today=letters.kept_bytes if letters else 0,
        dead_letters_dropped_today=letters.dropped if letters else 0,
        dead_letters_capped=bool(letters and letters.dropped),
    )
