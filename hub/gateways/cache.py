"""What each store's gateways cache: the customers seen at (or homed in) the store, with
identifiers and last purchases. Versions per store only ever go up."""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub.auth.masking import mask_name
from hub.crm.activities.tasks import open_tasks_for
from hub.crm.customer_stores import memberships
from hub.crm.households.prompt import households_for
from hub.crm.offers import offers_for
from hub.crm.ownership import owners
from hub.db.arrays import any_of
from hub.db.models import (
    PROVISIONAL,
    CacheVersion,
    Customer,
    Identity,
    Purchase,
    PurchaseItem,
    Store,
)
from wire.identity import HASHED_KINDS, Identifier, IdentifierKind, is_keyed_hash
from wire.messages import CachedCustomer, PurchaseSummary

log = logging.getLogger(__name__)
GATEWAY_KINDS = frozenset(k.value for k in IdentifierKind)
LAST_PURCHASES = 3


def newest_customers_of_store(session: Session, store_id: str, limit: int) -> tuple[list[str], int]:
    """The ids of the customers the store caches, most recently updated first, at most
    `limit` of them; and how many it caches in all. One statement: a store can have far
    more customers than one snapshot carries."""
    members = memberships(store_id=store_id)
    stmt = (
        select(Customer.id, func.count().over())
        .where(Customer.id.in_(select(members.c.customer_id)))
        .order_by(Customer.updated_at.desc(), Customer.id.desc())
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    return [customer_id for customer_id, _total in rows], (rows[0][1] if rows else 0)


def _summary(row: Any, items: list[Any]) -> PurchaseSummary:  # plain result rows
    parts = [f"{i.name or i.sku} x{i.qty}" if i.qty > 1 else (i.name or i.sku) for i in items]
    return PurchaseSummary(
        at=row.at,
        receipt_no=row.receipt_no,
        summary=", ".join(parts)[:200],
        total=row.total,
        currency=row.currency,
    )


def _last_purchases(session: Session, customer_ids: list[str]) -> dict[str, list[PurchaseSummary]]:
    """The newest LAST_PURCHASES purchases of each customer with their items, in two
    statements whatever the number of customers (a delta after a projection round names
    hundreds). Plain rows, not ORM objects: building those was most of a delta's time."""
    if not customer_ids:
        return {}
    order = (Purchase.at.desc(), Purchase.id.desc())
    rank = func.row_number().over(partition_by=Purchase.customer_id, order_by=order)
    ranked = (
        select(Purchase.id, rank.label("rank"))
        .where(any_of(Purchase.customer_id, customer_ids))
        .subquery()
    )
    columns = (Purchase.id, Purchase.customer_id, Purchase.at, Purchase.receipt_no)
    stmt = (
        select(*columns, Purchase.total, Purchase.currency)
        .join(ranked, ranked.c.id == Purchase.id)
        .where(ranked.c.rank <= LAST_PURCHASES)
        .order_by(Purchase.customer_id, *order)
    )
    purchases = session.execute(stmt).all()
    items: dict[int, list[Any]] = defaultdict(list)
    if purchases:
        item_rows = session.execute(
            select(PurchaseItem.purchase_id, PurchaseItem.sku, PurchaseItem.name, PurchaseItem.qty)
            .where(any_of(PurchaseItem.purchase_id, [p.id for p in purchases]))
            .order_by(PurchaseItem.purchase_id, PurchaseItem.id)
        )
        for item in item_rows:
            items[item.purchase_id].append(item)
    found: dict[str, list[PurchaseSummary]] = defaultdict(list)
    for row in purchases:
        found[row.customer_id].append(_summary(row, items[row.id]))
    return found


def cached_customers(session: Session, customer_ids: Iterable[str]) -> list[CachedCustomer]:
    """The cache entries; a customer without identifiers cannot be looked up and is left out."""
    ids = sorted(set(customer_ids))
    if not ids:
        return []
    identifiers: dict[str, list[Identifier]] = defaultdict(list)
    rows = session.execute(
        select(Identity.customer_id, Identity.kind, Identity.value)
        .where(any_of(Identity.customer_id, ids))
        .order_by(Identity.customer_id, Identity.id)
    )
    for customer_id, kind, value in rows:
        if kind not in GATEWAY_KINDS:  # e-mail, WeCom id: the hub's alone
            continue
        if kind in HASHED_KINDS and not is_keyed_hash(value):
            # stored before the wire refused raw numbers as hashes: never sent to a gateway
            log.warning(
                "identity of %s: %s is not a hash, left out of the cache", customer_id, kind
            )
            continue
        identifiers[customer_id].append(Identifier(kind=IdentifierKind(kind), value=value))
    columns = (Customer.id, Customer.name, Customer.tags, Customer.updated_at, Customer.status)
    customers = session.execute(
        select(*columns)
        .where(any_of(Customer.id, [i for i in ids if i in identifiers]))
        .order_by(Customer.id)
    ).all()
    purchases = _last_purchases(session, [c.id for c in customers])
    now = datetime.now(UTC)
    owned = owners(session, [c.id for c in customers], now)
    offers = offers_for(session, [c.id for c in customers], now)
    tasks = open_tasks_for(session, [c.id for c in customers])
    households = households_for(session, [c.id for c in customers])
    return [
        CachedCustomer(
            customer_id=c.id,
            display_name=mask_name(c.name),
            identifiers=identifiers[c.id][:50],
            last_purchases=purchases.get(c.id, []),
            tags=[str(t) for t in c.tags][:50],
            offers=offers.get(c.id, []),
            open_tasks=tasks.get(c.id, []),
            updated_at=c.updated_at,
            membership="provisional" if c.status == PROVISIONAL else "member",
            home_store_id=owned[c.id].store_id,
            home_store_name=owned[c.id].store_name[:200],
            home_store_purchases=owned[c.id].purchases,
            household=households.get(c.id),
        )
        for c in customers
    ]


def bump_version(session: Session, store_id: str, now: datetime) -> int:
    """Atomically take the store's next cache version (row created on first use). A new
    row starts at 1, so the first version taken is 2 and no delta has base_version 0,
    which is a full snapshot's (a delta that said 0 replaced a gateway's whole cache)."""
    session.execute(
        insert(CacheVersion)
        .values(store_id=store_id, tenant_id=_tenant_of_store(store_id), version=1, updated_at=now)
        .on_conflict_do_nothing(index_elements=["store_id"])
    )
    stmt = (
        update(CacheVersion)
        .where(CacheVersion.store_id == store_id)
        .values(version=CacheVersion.version + 1, updated_at=now)
        .returning(CacheVersion.version)
    )
    return int(session.execute(stmt).scalar_one())


def _tenant_of_store(store_id: str) -> ScalarSelect[str]:
    return select(Store.tenant_id).where(Store.id == store_id).scalar_subquery()
