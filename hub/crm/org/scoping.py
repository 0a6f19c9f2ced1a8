"""Which regions, stores and staff a caller reaches, as WHERE clauses, and which of them
their role may change. The table is docs/security.md, "Organisation".

Reading: a tenant's records only, always. A scope with `region_ids` reaches those regions,
their stores and the staff homed in them; one with `store_ids` reaches those stores, their
regions and the staff homed there; both set: both must hold. Everyone reaches their own
staff record. Writing is by role (`may_write_*`), on top of reaching the record."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from hub.auth.scope import Role, Scope
from hub.crm.org.errors import Forbidden
from hub.db.models import Region, Staff, Store

# Who may change what, beyond seeing it (docs/security.md "Organisation").
REGION_WRITERS = frozenset({Role.ADMIN})
STORE_CREATORS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER})
STORE_EDITORS = frozenset(
    {Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.FIELD_ENGINEER}
)
# The roles a manager may give (and manage): never their own or a higher one.
STAFF_ROLES_MANAGED: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset(Role),
    Role.REGIONAL_MANAGER: frozenset({Role.STORE_MANAGER, Role.STAFF, Role.FIELD_ENGINEER}),
    Role.STORE_MANAGER: frozenset({Role.STAFF}),
}
PERSONAL_READERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER})


def _ids(column: Any, ids: frozenset[str] | None) -> ColumnElement[bool]:
    if ids is None:
        return true()
    if not ids:
        return false()
    clause: ColumnElement[bool] = column.in_(sorted(ids))
    return clause


def region_clause(scope: Scope) -> ColumnElement[bool]:
    regions_of_stores = Region.id.in_(
        select(Store.region_id).where(scope.store_filter(Store.id)).scalar_subquery()
    )
    in_stores = true() if scope.store_ids is None else regions_of_stores
    return and_(Region.tenant_id == scope.tenant_id, _ids(Region.id, scope.region_ids), in_stores)


def store_clause(scope: Scope) -> ColumnElement[bool]:
    return and_(
        Store.tenant_id == scope.tenant_id,
        _ids(Store.region_id, scope.region_ids),
        scope.store_filter(Store.id),
    )


def staff_clause(scope: Scope) -> ColumnElement[bool]:
    """Staff homed in the scope's regions (by region or by home store) and stores."""
    in_regions: ColumnElement[bool] = true()
    if scope.region_ids is not None:
        homed = Staff.home_store_id.in_(
            select(Store.id).where(_ids(Store.region_id, scope.region_ids)).scalar_subquery()
        )
        in_regions = or_(_ids(Staff.region_id, scope.region_ids), homed)
    in_stores = true() if scope.store_ids is None else scope.store_filter(Staff.home_store_id)
    reach = and_(in_regions, in_stores)
    if scope.staff_id is not None:
        reach = or_(reach, Staff.id == scope.staff_id)
    return and_(Staff.tenant_id == scope.tenant_id, reach)


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(what)


def may_manage_staff(scope: Scope, role: str) -> bool:
    return Role(role) in STAFF_ROLES_MANAGED.get(scope.role, frozenset())


def sees_personal(scope: Scope, staff_id: str) -> bool:
    """Phone and e-mail: managers of the record's scope, and the person themselves."""
    return scope.role in PERSONAL_READERS or scope.staff_id == staff_id
