"""From a verified credential to the caller's Scope, read from the database on every
request: a staff member who leaves, changes role or moves store is seen at once."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Role, Scope
from hub.db.models import STAFF_ACTIVE, ApiKey, Credential, Staff, Store


def staff_scope(
    session: Session, staff_id: str, tenant_id: str, epoch: int | None = None
) -> Scope | None:
    """The scope of an active staff member with a login, or None. With `epoch` (an access
    token's), None as well if their sessions were ended since (Credential.session_epoch)."""
    row = session.execute(
        select(Staff, Credential.session_epoch)
        .join(Credential, Credential.staff_id == Staff.id)
        .where(Staff.id == staff_id, Staff.tenant_id == tenant_id, Staff.status == STAFF_ACTIVE)
    ).first()
    if row is None:
        return None
    staff, current_epoch = row
    if epoch is not None and epoch != current_epoch:
        return None
    return scope_of(session, staff)


def scope_of(session: Session, staff: Staff) -> Scope:
    """Row scopes in the form the domain's SQL takes (Scope.store_filter)."""
    role = Role(staff.role)
    region_ids: frozenset[str] | None = (
        frozenset({staff.region_id}) if staff.region_id else frozenset()
    )
    store_ids: frozenset[str] | None
    if role is Role.ADMIN or (role is Role.FIELD_ENGINEER and not staff.region_id):
        region_ids, store_ids = None, None  # every store of the tenant
    elif role in (Role.REGIONAL_MANAGER, Role.FIELD_ENGINEER):
        # Their regions' stores. A field engineer sees their gateways and stores, never a
        # customer: the role refuses that (hub.auth.masking.shown_to), not the store list.
        store_ids = frozenset(
            session.scalars(
                select(Store.id).where(
                    Store.tenant_id == staff.tenant_id,
                    Store.region_id.in_(sorted(region_ids or ())),
                )
            )
        )
    else:  # store manager, staff: their home store, and its region (theirs to read)
        store_ids = frozenset({staff.home_store_id}) if staff.home_store_id else frozenset()
        if not region_ids and staff.home_store_id:
            home_region = select(Store.region_id).where(Store.id == staff.home_store_id)
            region_ids = frozenset(session.scalars(home_region))
    return Scope(
        tenant_id=staff.tenant_id,
        role=role,
        subject=f"staff:{staff.id}",
        staff_id=staff.id,
        region_ids=region_ids,
        store_ids=store_ids,
    )


def key_scope(key: ApiKey) -> Scope:
    """An API key acts for its tenant, every store of it, with its grants only: a route
    names the grant it needs (customers:read for customer rows), so a key without it never
    gets that far."""
    grants = frozenset(key.grants)
    return Scope(
        tenant_id=key.tenant_id,
        role=Role.INTEGRATION,
        subject=f"key:{key.id}",
        region_ids=None,
        store_ids=None,
        api_scopes=grants,
    )
