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
from wire.messages import CacheDelta

DELTA_CUSTOMERS = 500  # customers per delta message at most (and within the message size)


@dataclass(frozen=True)
class StoreDelta:
    store_id: str
    gateway_ids: list[str]  # where to publish it
    delta: CacheDelta


def deltas_for(
    session: Session, touched: Mapping[str, set[str]], now: datetime, max_message_bytes: int
) -> list[StoreDelta]:
    """Deltas for store -> changed customers, in store order, each within DELTA_CUSTOMERS
    and a message of `max_message_bytes`."""
    stores = sorted(s for s, customers in touched.items() if customers)
    if not stores:
        return []
    entries = {
        e.customer_id: e
        for e in cache.cached_customers(session, set().union(*(touched[s] for s in stores)))
    }
    gateways = _active_gateways(session, stores)
    budget = cache_parts.entries_budget(max_message_bytes)
    out: list[StoreDelta] = []
    for store_id in stores:  # sorted: version rows are locked in one order by every writer
        ids = sorted(c for c in touched[store_id] if c in entries)
        for upserts in cache_parts.parts([entries[c] for c in ids], DELTA_CUSTOMERS, budget):
            version = cache.bump_version(session, store_id, now)
            delta = CacheDelta(
                store_id=store_id, version=version, base_version=version - 1, upserts=upserts
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
