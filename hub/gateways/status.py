"""What the hub knows of each gateway's state: the last status message it sent, whether it
is online, and its dead letters today. Functions take a Session; the caller owns the
transaction."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.db.models import GATEWAY_ACTIVE, DeadLetterDay, Gateway, Store
from hub.errors import NotFound
from wire.messages import GatewayStatus


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


def days_of(session: Session, gateway_ids: list[str], day: date) -> dict[str, DeadLetterDay]:
    """Each gateway's dead-letter counters of `day` (absent: no letter that day)."""
    if not gateway_ids:
        return {}
    stmt = select(DeadLetterDay).where(
        DeadLetterDay.gateway_id.in_(gateway_ids), DeadLetterDay.day == day
    )
    return {d.gateway_id: d for d in session.scalars(stmt)}


@dataclass(frozen=True)
class GatewayHealth:
    gateway: Gateway
    online: bool  # reported online and heard from within the offline window
    stale: bool  # reported online, but its last status is too old
    letters_today: DeadLetterDay | None = None  # its dead letters this UTC day, if any


def store_gateways(
    session: Session, scope: Scope, store_id: str, now: datetime, offline_after_seconds: int
) -> list[GatewayHealth]:
    """The store's gateways; NotFound if the store is unknown or out of `scope`."""
    in_scope = select(Store.id).where(
        Store.id == store_id, Store.tenant_id == scope.tenant_id, scope.store_filter(Store.id)
    )
    if session.scalar(in_scope) is None:
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
