"""Identifier -> customer. An identifier nobody holds yet makes a *provisional* customer,
so visits by a not-yet-registered card accumulate under one record that staff can later
name or merge (see docs/hub-storage.md)."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.db.models import PROVISIONAL, Customer, Identity
from wire.identity import Identifier

log = logging.getLogger(__name__)
Key = tuple[str, str]  # (kind, value)
# Sorted by lock key, in one statement: every worker takes its locks in the same order.
LOCK_PG = text(
    "SELECT count(pg_advisory_xact_lock(k)) FROM "
    "(SELECT DISTINCT hashtextextended(n, 0) AS k "
    "FROM unnest(CAST(:names AS text[])) AS n ORDER BY 1) AS keys"
)


@dataclass(frozen=True)
class Resolved:
    customer: Customer
    changed: bool  # created, or gained an identifier: the cached view must be refreshed


def new_customer_id() -> str:
    return f"cus-{uuid7().hex}"


def owner_of(session: Session, tenant_id: str, ident: Identifier) -> Customer | None:
    stmt = (
        select(Customer)
        .join(Identity, Identity.customer_id == Customer.id)
        .where(
            Identity.tenant_id == tenant_id,
            Identity.kind == ident.kind.value,
            Identity.value == ident.value,
        )
    )
    return session.scalars(stmt).first()


def resolve(
    session: Session,
    tenant_id: str,
    store_id: str,
    identifiers: Sequence[Identifier],
    now: datetime,
) -> Resolved:
    """The customer holding the first known identifier (in the given priority order), or a
    new provisional one; identifiers nobody holds are attached to that customer."""
    owners = [owner_of(session, tenant_id, ident) for ident in identifiers]
    unknown = {(i.kind.value, i.value) for i, o in zip(identifiers, owners, strict=True) if not o}
    if unknown and session.get_bind().dialect.name == "postgresql":
        # Like the batch path: wait for a worker creating the same identifier, then look again.
        lock_identifiers(session, tenant_id, unknown)
        owners = [owner_of(session, tenant_id, ident) for ident in identifiers]
    customer = next((owner for owner in owners if owner is not None), None)
    changed = customer is None
    if customer is None:
        customer = Customer(
            id=new_customer_id(),
            tenant_id=tenant_id,
            home_store_id=store_id,
            status=PROVISIONAL,
            tags=[],
            created_at=now,
            updated_at=now,
        )
        session.add(customer)
    for ident, owner in zip(identifiers, owners, strict=True):
        if owner is None:
            session.add(_identity(tenant_id, customer.id, ident, now))
            changed = True
        elif owner.id != customer.id:
            # Two identifiers of one tap belong to two records: a merge candidate, never
            # merged silently here.
            log.warning("identifier %s belongs to %s, not %s", ident.kind, owner.id, customer.id)
    if changed:
        customer.updated_at = now
        session.flush()
    return Resolved(customer, changed)


def _identity(tenant_id: str, customer_id: str, ident: Identifier, now: datetime) -> Identity:
    return Identity(
        tenant_id=tenant_id,
        customer_id=customer_id,
        kind=ident.kind.value,
        value=ident.value,
        created_at=now,
    )


def lock_identifiers(session: Session, tenant_id: str, keys: set[Key]) -> None:
    """Transaction advisory locks on identifiers about to be created (PostgreSQL)."""
    names = sorted(f"{tenant_id}|{kind}|{value}" for kind, value in keys)
    session.execute(LOCK_PG, {"names": names})
