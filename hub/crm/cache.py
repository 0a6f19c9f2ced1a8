"""What each store's gateways cache: the customers seen at (or homed in) the store, with
identifiers and last purchases. Versions per store only ever go up."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, selectinload

from hub.crm.masking import mask_name
from hub.db.dialect import insert_for
from hub.db.models import CacheVersion, Customer, Identity, Purchase, Touchpoint
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, PurchaseSummary

LAST_PURCHASES = 3
STORES_CACHING_PG = text(
    "SELECT DISTINCT s.store_id, c.id FROM unnest(CAST(:ids AS text[])) AS c(id) "
    "CROSS JOIN LATERAL (SELECT home_store_id AS store_id FROM customers WHERE id = c.id "
    "UNION SELECT store_id FROM touchpoints WHERE customer_id = c.id "
    "UNION SELECT store_id FROM purchases WHERE customer_id = c.id) AS s "
    "WHERE s.store_id IS NOT NULL"
)


def stores_caching(session: Session, customer_ids: Iterable[str]) -> dict[str, set[str]]:
    """store_id -> those of `customer_ids` that the store's cache holds."""
    ids = sorted(set(customer_ids))
    result: dict[str, set[str]] = defaultdict(set)
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":  # one round trip of index probes
        for store_id, customer_id in session.execute(STORES_CACHING_PG, {"ids": ids}):
            result[store_id].add(customer_id)
        return dict(result)
    queries = (
        select(Customer.home_store_id, Customer.id).where(Customer.id.in_(ids)),
        select(Touchpoint.store_id, Touchpoint.customer_id).where(Touchpoint.customer_id.in_(ids)),
        select(Purchase.store_id, Purchase.customer_id).where(Purchase.customer_id.in_(ids)),
    )
    for query in queries:
        for store_id, customer_id in session.execute(query.distinct()):
            if store_id is not None and customer_id is not None:
                result[store_id].add(customer_id)
    return dict(result)


def customers_of_store(session: Session, store_id: str) -> list[str]:
    queries = (
        select(Customer.id).where(Customer.home_store_id == store_id),
        select(Touchpoint.customer_id).where(Touchpoint.store_id == store_id),
        select(Purchase.customer_id).where(Purchase.store_id == store_id),
    )
    found: set[str] = set()
    for query in queries:
        found.update(c for c in session.scalars(query.distinct()) if c is not None)
    return sorted(found)


def _summary(purchase: Purchase) -> PurchaseSummary:
    parts = [
        f"{i.name or i.sku} x{i.qty}" if i.qty > 1 else (i.name or i.sku) for i in purchase.items
    ]
    return PurchaseSummary(
        at=purchase.at,
        receipt_no=purchase.receipt_no,
        summary=", ".join(parts)[:200],
        total=purchase.total,
        currency=purchase.currency,
    )


def _last_purchases(session: Session, customer_id: str) -> list[PurchaseSummary]:
    stmt = (
        select(Purchase)
        .where(Purchase.customer_id == customer_id)
        .order_by(Purchase.at.desc(), Purchase.id.desc())
        .limit(LAST_PURCHASES)
        .options(selectinload(Purchase.items))
    )
    return [_summary(p) for p in session.scalars(stmt)]


def cached_customers(session: Session, customer_ids: Iterable[str]) -> list[CachedCustomer]:
    """The cache entries; a customer without identifiers cannot be looked up and is left out."""
    stmt = (
        select(Customer)
        .where(Customer.id.in_(sorted(set(customer_ids))))
        .options(selectinload(Customer.identities))
        .order_by(Customer.id)
    )
    entries = []
    for customer in session.scalars(stmt):
        idents = [_identifier(i) for i in customer.identities]
        if not idents:
            continue
        entries.append(
            CachedCustomer(
                customer_id=customer.id,
                display_name=mask_name(customer.name),
                identifiers=idents[:50],
                last_purchases=_last_purchases(session, customer.id),
                tags=[str(t) for t in customer.tags][:50],
                updated_at=customer.updated_at,
            )
        )
    return entries


def _identifier(identity: Identity) -> Identifier:
    return Identifier(kind=IdentifierKind(identity.kind), value=identity.value)


def bump_version(session: Session, store_id: str, now: datetime) -> int:
    """Atomically take the store's next cache version (row created on first use)."""
    session.execute(
        insert_for(session, CacheVersion)
        .values(store_id=store_id, version=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["store_id"])
    )
    stmt = (
        update(CacheVersion)
        .where(CacheVersion.store_id == store_id)
        .values(version=CacheVersion.version + 1, updated_at=now)
        .returning(CacheVersion.version)
    )
    return int(session.execute(stmt).scalar_one())
