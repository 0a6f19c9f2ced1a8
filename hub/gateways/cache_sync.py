"""Snapshots for gateways whose cache is behind their store's.

A gateway reports its cache version in every status. When it differs from the store's
current version (a new box, a wiped cache, a missed delta), the hub sends a full snapshot
at the current version, without bumping it, so the store's other gateways stay in step.
The version is taken in a short write transaction; the snapshot is read in a transaction
of its own, which writes nothing.
"""

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import GATEWAY_ACTIVE, CacheVersion, Gateway
from hub.errors import StorageError
from hub.gateways import cache
from hub.gateways.cache_snapshot import SnapshotMessages, build_snapshot

log = logging.getLogger(__name__)


def stale_store_version(
    sessions: sessionmaker[Session], gateway_id: str, reported_version: int
) -> tuple[str, int] | None:
    """(store_id, current version) when the gateway's cache is stale, else None."""
    try:
        with sessions.begin() as session:  # it may take a first cache version
            gateway = session.get(Gateway, gateway_id)
            if gateway is None or gateway.status != GATEWAY_ACTIVE:
                return None
            store_id = gateway.store_id
            current = session.execute(
                select(CacheVersion.version).where(CacheVersion.store_id == store_id)
            ).scalar_one_or_none()
            if current is None:
                current = cache.bump_version(session, store_id, datetime.now(UTC))
    except SQLAlchemyError as exc:
        raise StorageError(f"cache version of {gateway_id}: {exc}") from exc
    return None if reported_version == current else (store_id, current)


def read_snapshot(
    sessions: sessionmaker[Session],
    store_id: str,
    version: int,
    max_customers: int,
    max_message_bytes: int,
) -> SnapshotMessages:
    try:
        with sessions.begin() as session:
            built = build_snapshot(session, store_id, version, max_customers, max_message_bytes)
    except SQLAlchemyError as exc:
        raise StorageError(f"cache snapshot of {store_id}: {exc}") from exc
    if built.too_big or built.store_customers > max_customers:
        log.warning(
            "cache snapshot of %s holds %d of its %d customers: the newest %d at most, "
            "%d too big for a message; the others reach the gateway with their next change",
            store_id,
            built.customers,
            built.store_customers,
            max_customers,
            built.too_big,
        )
    return built
