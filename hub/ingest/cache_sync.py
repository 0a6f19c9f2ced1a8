"""Snapshots for gateways whose cache is behind their store's.

A gateway reports its cache version in every status. When it differs from the store's
current version (a new box, a wiped cache, a missed delta), the hub sends a full snapshot
at the current version, without bumping it, so the store's other gateways stay in step.
"""

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm import cache, cache_parts
from hub.db.engine import write_transaction
from hub.db.models import GATEWAY_ACTIVE, CacheVersion, Gateway
from wire.messages import CacheDelta

log = logging.getLogger(__name__)


def snapshot_if_stale(
    sessions: sessionmaker[Session], gateway_id: str, reported_version: int
) -> tuple[str, CacheDelta] | None:
    """(gateway_id, snapshot) when the gateway's cache is stale, else None."""
    with write_transaction(sessions) as session:  # it may take a cache version
        gateway = session.get(Gateway, gateway_id)
        if gateway is None or gateway.status != GATEWAY_ACTIVE:
            return None
        store_id = gateway.store_id
        current = session.execute(
            select(CacheVersion.version).where(CacheVersion.store_id == store_id)
        ).scalar_one_or_none()
        if current is None:
            current = cache.bump_version(session, store_id, datetime.now(UTC))
        if reported_version == current:
            return None
        snapshot = cache_parts.snapshot_of_store(session, store_id)
        if snapshot.cut:
            log.warning(
                "cache snapshot of %s holds the %d most recently updated of its %d customers "
                "(one message's limit); the others reach the gateway with their next change",
                store_id,
                len(snapshot.entries),
                snapshot.customers,
            )
        delta = CacheDelta(
            store_id=store_id, version=current, base_version=0, upserts=snapshot.entries
        )
        return gateway_id, delta
