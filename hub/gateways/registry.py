"""The gateway registry: register, revoke, which gateway to trust, and who serves a store.
Functions take a Session; the caller owns the transaction."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import GATEWAY_ACTIVE, GATEWAY_REVOKED, Gateway, Store
from hub.errors import NotFound, RejectedError


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


def gateways_of_store(session: Session, store_id: str) -> list[str]:
    stmt = (
        select(Gateway.id)
        .where(Gateway.store_id == store_id, Gateway.status == GATEWAY_ACTIVE)
        .order_by(Gateway.id)
    )
    return list(session.scalars(stmt))


def tenant_of(session: Session, gateway_id: str) -> str | None:
    """The tenant of a registered gateway (active or revoked); None for an unknown one."""
    return session.scalar(select(Gateway.tenant_id).where(Gateway.id == gateway_id))
