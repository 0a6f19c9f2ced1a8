"""Which customers, and which of their rows, a scope reaches: in SQL, never after the fetch.

A customer belongs to a store when it is their home store or the store served them (a
touchpoint there; every purchase of a known customer has one). A scope reaches:
- admin: every customer of the tenant, every row;
- regional and store managers: the customers of their stores, and only the purchases and
  touchpoints made in those stores;
- staff: the customers of their store, with that store's rows, and the customers they own
  (`owner_staff_id`), with every row: they look after them wherever they shop;
- field engineers: no customer (hub.auth.masking.shown_to refuses them first).
A customer out of scope is not found, exactly as if it did not exist; so is one merged
into another (`merged_into` set, hub/crm/merge) unless `merged=True` asks for them.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from hub.auth.scope import Scope
from hub.db.models import Customer, Touchpoint


def customer_in_scope(
    scope: Scope, customers: Any = Customer, merged: bool = False
) -> ColumnElement[bool]:
    """WHERE clause over `customers` (the table, or an alias of it) for the customers
    `scope` reaches; merged-away records only when `merged`."""
    tenant: ColumnElement[bool] = customers.tenant_id == scope.tenant_id
    if not merged:
        tenant = and_(tenant, customers.merged_into.is_(None))
    if scope.store_ids is None:
        return tenant
    return and_(tenant, or_(_of_stores(scope, customers), _owned(scope, customers)))


def rows_in_scope(scope: Scope, customer: Customer, store_column: Any) -> ColumnElement[bool]:
    """WHERE clause over a customer's purchases or touchpoints (`store_column`: their store)."""
    if scope.store_ids is None or _owns(scope, customer):
        return true()
    return scope.store_filter(store_column)


def _of_stores(scope: Scope, customers: Any) -> ColumnElement[bool]:
    if not scope.store_ids:
        return false()
    return customer_of_stores(sorted(scope.store_ids), customers)


def customer_of_stores(
    stores: Sequence[str] | Select[Any], customers: Any = Customer
) -> ColumnElement[bool]:
    """WHERE clause over `customers` (the table or an alias): home store among `stores`,
    or served in one."""
    served = exists(
        select(Touchpoint.id).where(
            Touchpoint.customer_id == customers.id, Touchpoint.store_id.in_(stores)
        )
    )
    return or_(customers.home_store_id.in_(stores), served)


def _owned(scope: Scope, customers: Any) -> ColumnElement[bool]:
    if scope.staff_id is None:
        return false()
    owned: ColumnElement[bool] = customers.owner_staff_id == scope.staff_id
    return owned


def _owns(scope: Scope, customer: Customer) -> bool:
    return scope.staff_id is not None and customer.owner_staff_id == scope.staff_id
