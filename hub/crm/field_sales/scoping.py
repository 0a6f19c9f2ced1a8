"""Whose sample requests and orders a scope reaches, in SQL: whoever reaches the customer
(hub/crm/customer_scope.py); the rep named on the row wherever the customer shops (as a
deal's owner does); and the rep's managers (store and regional managers reach the rows of
the reps they reach, hub/crm/org/scoping.py), so a manager sees what they are asked to
decide. Out of scope is NotFound.

Who approves a rep's sample request: the rep's manager. A rep has two: the store manager
of their home store and the regional manager of their region; either may decide, and so
may an admin. Nobody decides their own request. A store manager of another store, or a
colleague, is refused (403) even when they see the customer."""

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from hub.auth.scope import Role, Scope
from hub.crm.activities.scoping import of_reached_customers
from hub.crm.org.scoping import staff_clause
from hub.db.models import Staff

_MANAGERS = (Role.STORE_MANAGER, Role.REGIONAL_MANAGER)


def rows_in_scope(scope: Scope, table: Any) -> ColumnElement[bool]:
    """WHERE clause over a table with tenant_id, customer_id and rep_staff_id."""
    tenant: ColumnElement[bool] = table.tenant_id == scope.tenant_id
    if scope.store_ids is None:
        return tenant
    mine = table.rep_staff_id == scope.staff_id if scope.staff_id else false()
    reach = [of_reached_customers(scope, table.customer_id), mine]
    if scope.role in _MANAGERS:
        reach.append(table.rep_staff_id.in_(select(Staff.id).where(staff_clause(scope))))
    return and_(tenant, or_(*reach))


def manages(scope: Scope, rep: Staff) -> bool:
    """Whether the caller is the rep's manager (or an admin), and not the rep."""
    if scope.staff_id is not None and scope.staff_id == rep.id:
        return False
    if scope.role is Role.ADMIN:
        return True
    if scope.role is Role.STORE_MANAGER:
        return rep.home_store_id is not None and rep.home_store_id in (scope.store_ids or ())
    if scope.role is Role.REGIONAL_MANAGER:
        in_region = rep.region_id is not None and rep.region_id in (scope.region_ids or ())
        in_store = rep.home_store_id is not None and rep.home_store_id in (scope.store_ids or ())
        return in_region or in_store
    return False


def acts_for(scope: Scope, rep: Staff) -> bool:
    """Who records what the rep did (a hand-out, a follow-up): the rep or their manager."""
    return scope.staff_id == rep.id or manages(scope, rep)
