"""Which customers, and which of their rows, a scope reaches: in SQL, never after the fetch.

A customer belongs to a store when it is their home store or the store served them (a
touchpoint there; every purchase of a known customer has one). A scope reaches:
- admin: every customer of the tenant, every row;
- regional and store managers: the customers of their stores, and only the purchases and
  touchpoints made in those stores;
- staff: the customers of their store, with that store's rows, and the customers they own
  (`owner_staff_id`), with every row: they look after them wherever they shop;
- field engineers: no customer (hub.auth.masking.shown_to refuses them first).
A customer out of scope is not found, exactly as if it did not exist.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true

from hub.auth.scope import Scope
from hub.db.models import Customer, Touchpoint


def customer_in_scope(scope: Scope) -> ColumnElement[bool]:
    """WHERE clause over `customers` for the customers `scope` reaches."""
    tenant = Customer.tenant_id == scope.tenant_id
    if scope.store_ids is None:
        return tenant
    return and_(tenant, or_(_of_stores(scope), _owned(scope)))


def rows_in_scope(scope: Scope, customer: Customer, store_column: Any) -> ColumnElement[bool]:
    """WHERE clause over a customer's purchases or touchpoints (`store_column`: their store)."""
    if scope.store_ids is None or _owns(scope, customer):
        return true()
    return scope.store_filter(store_column)


def _of_stores(scope: Scope) -> ColumnElement[bool]:
    if not scope.store_ids:
        return false()
    return customer_of_stores(sorted(scope.store_ids))


def customer_of_stores(stores: Sequence[str] | Select[Any]) -> ColumnElement[bool]:
    """WHERE clause over `customers`: home store among `stores`, or served in one."""
    served = exists(
        select(Touchpoint.id).where(
            Touchpoint.customer_id == Customer.id, Touchpoint.store_id.in_(stores)
        )
    )
    return or_(Customer.home_store_id.in_(stores), served)


def _owned(scope: Scope) -> ColumnElement[bool]:
    if scope.staff_id is None:
        return false()
    return Customer.owner_staff_id == scope.staff_id


def _owns(scope: Scope, customer: Customer) -> bool:
    return scope.staff_id is not None and customer.owner_staff_id == scope.staff_id
