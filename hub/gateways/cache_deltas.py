"""The cache deltas of one projection round, built in one transaction: every touched
customer's entry is read once (even when several stores cache it), each store takes its
next version(s), and every store's active gateways come from one query."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import GATEWAY_ACTIVE, Gateway
from hub.gateways import cache, cache_parts
from wire.messages import CachedCustomer, CacheDelta

DELTA_CUSTOMERS = 500  # customers per delta message at most (and within the message size)


@dataclass(frozen=True)
class StoreDelta:
    store_id: str
    gateway_ids: list[str]  # where to publish it
    delta: CacheDelta


def deltas_for(
    session: Session,
    touched: Mapping[str, set[str]],
    now: datetime,
    max_message_bytes: int,
    gone: Mapping[str, set[str]] | None = None,
) -> list[StoreDelta]:
    """Deltas for store -> changed customers, in store order, each within DELTA_CUSTOMERS
    and a message of `max_message_bytes`. A touched customer with no cache entry (merged
    away, no identifier left) is deleted at that store, as is every one `gone` names
    there (no longer the store's)."""
    gone = gone or {}
    stores = sorted(s for s in set(touched) | set(gone) if touched.get(s) or gone.get(s))
    if not stores:
        return []
    wanted = set().union(*(touched.get(s, set()) for s in stores))
    entries = {e.customer_id: e for e in cache.cached_customers(session, wanted)}
    gateways = _active_gateways(session, stores)
    budget = cache_parts.entries_budget(max_message_bytes)
    out: list[StoreDelta] = []
    for store_id in stores:  # sorted: version rows are locked in one order by every writer
        here = touched.get(store_id, set()) - gone.get(store_id, set())
        ids = sorted(c for c in here if c in entries)
        deletes = sorted((touched.get(store_id, set()) - set(ids)) | gone.get(store_id, set()))
        # Deletes travel in deltas of their own: an upsert part already fills a message.
        changes: list[tuple[list[CachedCustomer], list[str]]] = [
            (upserts, [])
            for upserts in cache_parts.parts([entries[c] for c in ids], DELTA_CUSTOMERS, budget)
        ]
        changes += [
            ([], deletes[i : i + DELTA_CUSTOMERS]) for i in range(0, len(deletes), DELTA_CUSTOMERS)
        ]
        for upserts, removed in changes:
            version = cache.bump_version(session, store_id, now)
            delta = CacheDelta(
                store_id=store_id,
                version=version,
                base_version=version - 1,
                upserts=upserts,
                deletes=removed,
            )
            out.append(StoreDelta(store_id, gateways.get(store_id, []), delta))
    return out


def _active_gateways(session: Session, stores: list[str]) -> dict[str, list[str]]:
    stmt = (
        select(Gateway.store_id, Gateway.id)
        .where(Gateway.store_id.in_(stores), Gateway.status == GATEWAY_ACTIVE)
        .order_by(Gateway.id)
    )
    found: dict[str, list[str]] = {}
    for store_id, gateway_id in session.execute(stmt):
        found.setdefault(store_id, []).append(gateway_id)
    return found
