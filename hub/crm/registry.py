"""The gateway registry: register, revoke, status updates, and who serves a store.
Functions take a Session; the caller owns the transaction."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.crm.dead_letters import days_of
from hub.db.models import GATEWAY_ACTIVE, GATEWAY_REVOKED, DeadLetterDay, Gateway, Store
from hub.errors import NotFound, RejectedError
from wire.messages import GatewayStatus


def register_gateway(session: Session, gateway_id: str, store_id: str, now: datetime) -> Gateway:
    """Register (or re-activate) a gateway for a store; tenant comes from the store."""
    store = session.get(Store, store_id)
    if store is None:
        raise NotFound(f"store {store_id}")
    gateway = session.get(Gateway, gateway_id)
    if gateway is None:
        gateway = Gateway(id=gateway_id, registered_at=now, version="", skew_flagged=False)
        session.add(gateway)
    gateway.tenant_id = store.tenant_id
    gateway.store_id = store.id
    gateway.status = GATEWAY_ACTIVE
    gateway.revoked_at = None
    session.flush()
    return gateway


def revoke_gateway(session: Session, gateway_id: str, now: datetime) -> Gateway:
    gateway = session.get(Gateway, gateway_id)
    if gateway is None:
        raise NotFound(f"gateway {gateway_id}")
    gateway.status = GATEWAY_REVOKED
    gateway.revoked_at = now
    session.flush()
    return gateway


def trusted_gateway(session: Session, topic_gateway_id: str, claimed_id: str) -> Gateway:
    """The registered, active gateway of the topic; the payload's claim must match it."""
    if claimed_id != topic_gateway_id:
        raise RejectedError("gateway mismatch", f"topic {topic_gateway_id}, payload {claimed_id}")
    gateway = session.get(Gateway, topic_gateway_id)
    if gateway is None:
        raise RejectedError("unknown gateway", topic_gateway_id)
    if gateway.status != GATEWAY_ACTIVE:
        raise RejectedError("revoked gateway", topic_gateway_id)
    return gateway


def is_known(session: Session, gateway_id: str) -> bool:
    """Registered, active or revoked: a gateway the hub answers."""
    return session.get(Gateway, gateway_id) is not None


def apply_status(
    gateway: Gateway,
    status: GatewayStatus,
    received_at: datetime,
    skew_limit_seconds: int,
    retained: bool,
) -> None:
    """Copy a status message into the registry. A retained message may be old (replayed by
    the broker when the hub subscribes), so it neither refreshes last_seen_at nor skew."""
    gateway.online = status.state == "online"
    if status.version:
        gateway.version = status.version
    gateway.outbox_depth = status.outbox_depth
    gateway.cache_version = status.cache_version
    if retained:
        return
    gateway.last_seen_at = received_at
    if status.clock is not None:
        skew = (status.clock - received_at).total_seconds()
        gateway.clock_skew_seconds = skew
        gateway.skew_flagged = abs(skew) > skew_limit_seconds


def gateways_of_store(session: Session, store_id: str) -> list[str]:
    stmt = (
        select(Gateway.id)
        .where(Gateway.store_id == store_id, Gateway.status == GATEWAY_ACTIVE)
        .order_by(Gateway.id)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class GatewayHealth:
    gateway: Gateway
    online: bool  # reported online and heard from within the offline window
    stale: bool  # reported online, but its last status is too old
    letters_today: DeadLetterDay | None = None  # its dead letters this UTC day, if any


def store_gateways(
    session: Session, store_id: str, now: datetime, offline_after_seconds: int
) -> list[GatewayHealth]:
    if session.get(Store, store_id) is None:
        raise NotFound(f"store {store_id}")
    cutoff = now - timedelta(seconds=offline_after_seconds)
    stmt = select(Gateway).where(Gateway.store_id == store_id).order_by(Gateway.id)
    gateways = list(session.scalars(stmt))
    letters = days_of(session, [g.id for g in gateways], now.date())
    health = []
    for gateway in gateways:
        fresh = gateway.last_seen_at is not None and gateway.last_seen_at >= cutoff
        reported = bool(gateway.online) and gateway.status == GATEWAY_ACTIVE
        online, stale = reported and fresh, reported and not fresh
        health.append(GatewayHealth(gateway, online, stale, letters.get(gateway.id)))
    return health
