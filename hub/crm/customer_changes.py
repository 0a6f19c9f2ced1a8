"""Telling the stores' caches that a customer changed outside the event stream.

A write through the API (a merge, a new identifier, an offer, a task) calls `mark_changed`
in its own transaction: one `cache_changes` row per store that caches the customer *now*
(hub/crm/customer_stores.py), and a NOTIFY that PostgreSQL delivers at commit. The cache
follower (hub/gateways/cache_follow.py) then sends those stores a delta. Marking before
rows move (a merge) names every store that cached either record; the follower sends each
of them what the customer is after the commit, or a delete."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, literal, select, text
from sqlalchemy.orm import Session

from hub.crm.customer_stores import memberships, stores_of_customers
from hub.db.models import CacheChange

CHANNEL = "storepulse_cache_changes"
NOTIFY = text(f"SELECT pg_notify('{CHANNEL}', '')")


def mark_changed(
    session: Session, tenant_id: str, customer_ids: Iterable[str], now: datetime
) -> None:
    """Queue a delta of these customers for every store that caches them now."""
    stores = stores_of_customers(session, customer_ids)
    _queue(session, tenant_id, [(s, c) for s, ids in stores.items() for c in ids], now)


def mark_stores(
    session: Session,
    tenant_id: str,
    store_ids: Iterable[str],
    customer_ids: Iterable[str],
    now: datetime,
) -> None:
    """Queue these customers for these stores too (a store that should learn of them
    although it has not served them, say the store whose area they live in)."""
    ids = sorted(set(customer_ids))
    _queue(session, tenant_id, [(s, c) for s in sorted(set(store_ids)) for c in ids], now)


def _queue(session: Session, tenant_id: str, pairs: list[tuple[str, str]], now: datetime) -> None:
    if not pairs:
        return
    rows = [
        {"tenant_id": tenant_id, "store_id": s, "customer_id": c, "at": now}
        for s, c in sorted(pairs)
    ]
    session.execute(insert(CacheChange), rows)
    session.execute(NOTIFY)


def mark_tenant(session: Session, tenant_id: str, now: datetime) -> None:
    """Queue every customer of the tenant for every store that caches them (a change of
    the ownership rule or of an area, which may move any of them); one statement."""
    pairs = memberships(tenant_id=tenant_id)
    rows = select(literal(tenant_id), pairs.c.store_id, pairs.c.customer_id, literal(now))
    columns = ["tenant_id", "store_id", "customer_id", "at"]
    session.execute(insert(CacheChange).from_select(columns, rows))
    session.execute(NOTIFY)
