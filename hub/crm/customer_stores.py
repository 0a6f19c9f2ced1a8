"""The stores a customer belongs to: their home store and every store that served them
(a touchpoint or a purchase there). A store's gateways cache exactly these customers.

`memberships` is that rule, written once: (store_id, customer_id) pairs, narrowed in each
branch to some customers, one store or one tenant, so each branch uses its own index.
Per-customer lookups, a store's snapshot and the tenant-wide mark are all built on it."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Subquery, select, union
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.db.arrays import any_of
from hub.db.models import Customer, Purchase, Touchpoint

# (store column, customer column, tenant column) of each way a customer joins a store.
_BRANCHES: tuple[tuple[InstrumentedAttribute[Any], ...], ...] = (
    (Customer.home_store_id, Customer.id, Customer.tenant_id),
    (Touchpoint.store_id, Touchpoint.customer_id, Touchpoint.tenant_id),
    (Purchase.store_id, Purchase.customer_id, Purchase.tenant_id),
)


def memberships(
    *,
    customer_ids: Sequence[str] | None = None,
    store_id: str | None = None,
    tenant_id: str | None = None,
) -> Subquery:
    """Distinct (store_id, customer_id) of the customers' stores, narrowed as asked."""
    branches = []
    for store, customer, tenant in _BRANCHES:
        branch = select(store.label("store_id"), customer.label("customer_id")).where(
            store.is_not(None), customer.is_not(None)
        )
        if customer_ids is not None:
            branch = branch.where(any_of(customer, customer_ids))
        if store_id is not None:
            branch = branch.where(store == store_id)
        if tenant_id is not None:
            branch = branch.where(tenant == tenant_id)
        branches.append(branch)
    return union(*branches).subquery("memberships")


def stores_of_customers(session: Session, customer_ids: Iterable[str]) -> dict[str, set[str]]:
    """store_id -> those of `customer_ids` that belong to the store (its gateways cache them)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    result: dict[str, set[str]] = defaultdict(set)
    pairs = memberships(customer_ids=ids)
    for store_id, customer_id in session.execute(select(pairs.c.store_id, pairs.c.customer_id)):
        result[store_id].add(customer_id)
    return dict(result)
