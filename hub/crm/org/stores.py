"""Stores of a tenant: read within the caller's scope; created by admins and regional
managers, their details kept by those and by store managers and field engineers."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.crm.customer_changes import mark_tenant
from hub.crm.customer_view import Page
from hub.crm.org.errors import Duplicate
from hub.crm.org.hours import OpeningHours, is_open_at
from hub.crm.org.inputs import StoreChanges, StoreDraft
from hub.crm.org.paging import DEFAULT_LIMIT, id_page
from hub.crm.org.places import apply_place
from hub.crm.org.regions import get_region
from hub.crm.org.scoping import STORE_CREATORS, STORE_EDITORS, require, store_clause
from hub.crm.org.snapshots import snapshot
from hub.crm.org.trail import record_write
from hub.db.models import Store, Tenant
from hub.errors import NotFound


def list_stores(
    *,
    session: Session,
    scope: Scope,
    region_id: str | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Store]:
    stmt = select(Store).where(store_clause(scope))
    if region_id is not None:
        stmt = stmt.where(Store.region_id == region_id)
    if status is not None:
        stmt = stmt.where(Store.status == status)
    return id_page(session, stmt, Store.id, after, limit)


def get_store(*, session: Session, scope: Scope, store_id: str) -> Store:
    """The store if the scope reaches it; NotFound otherwise, as if it did not exist."""
    store = session.scalars(select(Store).where(Store.id == store_id, store_clause(scope))).first()
    if store is None:
        raise NotFound(f"store {store_id}")
    return store


def create_store(*, session: Session, scope: Scope, draft: StoreDraft) -> Store:
    require(scope.role in STORE_CREATORS, "only admins and regional managers create stores")
    get_region(session=session, scope=scope, region_id=draft.region_id)
    if session.get(Store, draft.id) is not None:
        raise Duplicate(f"store id {draft.id} is taken")
    store = Store(id=draft.id, tenant_id=scope.tenant_id)
    apply_place(store, {k: v for k, v in dict(draft).items() if k != "id"})
    session.add(store)
    session.flush()
    record_write(session, scope, "create", store, None)
    return store


def update_store(*, session: Session, scope: Scope, store_id: str, changes: StoreChanges) -> Store:
    store = get_store(session=session, scope=scope, store_id=store_id)
    given = changes.given()
    require(scope.role in STORE_EDITORS, "your role does not change stores")
    if "region_id" in given and given["region_id"] != store.region_id:
        require(scope.role in STORE_CREATORS, "only admins and regional managers move stores")
        get_region(session=session, scope=scope, region_id=given["region_id"])
    if "area" in given:  # an area decides whose customers they are
        require(scope.role in STORE_CREATORS, "only admins and regional managers set areas")
    before = snapshot(store)
    apply_place(store, given)
    session.flush()
    record_write(session, scope, "update", store, before)
    if "area" in given and before["area"] != store.area:
        _owners_may_move(session, scope.tenant_id)
    return store


def _owners_may_move(session: Session, tenant_id: str) -> None:
    """Under the 'area' rule a new area may give customers another store: caches follow."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is not None and tenant.ownership_rule == "area":
        mark_tenant(session, tenant_id, datetime.now(UTC))


def is_store_open(store: Store, at: datetime) -> bool:
    """Open at `at` by its hours, in its time zone; a closed store never is."""
    if store.status != "open":
        return False
    return is_open_at(OpeningHours.model_validate(store.opening_hours), store.time_zone, at)
