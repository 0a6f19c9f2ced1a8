"""Regions of a tenant: read within the caller's scope, written by admins."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.crm.customer_view import Page
from hub.crm.org.errors import Duplicate
from hub.crm.org.inputs import RegionChanges, RegionDraft
from hub.crm.org.paging import DEFAULT_LIMIT, id_page
from hub.crm.org.places import apply_place
from hub.crm.org.scoping import REGION_WRITERS, region_clause, require
from hub.crm.org.snapshots import snapshot
from hub.crm.org.trail import record_write
from hub.db.models import Region
from hub.errors import NotFound


def list_regions(
    *, session: Session, scope: Scope, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Region]:
    return id_page(session, select(Region).where(region_clause(scope)), Region.id, after, limit)


def get_region(*, session: Session, scope: Scope, region_id: str) -> Region:
    """The region if the scope reaches it; NotFound otherwise, as if it did not exist."""
    stmt = select(Region).where(Region.id == region_id, region_clause(scope))
    region = session.scalars(stmt).first()
    if region is None:
        raise NotFound(f"region {region_id}")
    return region


def create_region(*, session: Session, scope: Scope, draft: RegionDraft) -> Region:
    require(scope.role in REGION_WRITERS, "only admins create regions")
    if session.get(Region, draft.id) is not None:
        raise Duplicate(f"region id {draft.id} is taken")
    region = Region(id=draft.id, tenant_id=scope.tenant_id, name=draft.name)
    apply_place(region, {k: v for k, v in dict(draft).items() if k != "id"})
    session.add(region)
    session.flush()
    record_write(session, scope, "create", region, None)
    return region


def update_region(
    *, session: Session, scope: Scope, region_id: str, changes: RegionChanges
) -> Region:
    region = get_region(session=session, scope=scope, region_id=region_id)
    require(scope.role in REGION_WRITERS, "only admins change regions")
    before = snapshot(region)
    apply_place(region, changes.given())
    session.flush()
    record_write(session, scope, "update", region, before)
    return region
