"""A customer's identifiers: listed, one added (409 naming the holder when another customer
has it, so the caller can merge them), one removed. Scoped, audited, the caches told."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.contacts import ContactError
from hub.crm.customer_changes import mark_changed
from hub.crm.customer_create import add_keys, require_writer
from hub.crm.customer_scope import customer_in_scope
from hub.crm.customer_view import scoped_customer
from hub.crm.identities import lock_identifiers, owners_of
from hub.crm.identity_input import key_of
from hub.db.models import Customer, Identity
from hub.errors import Conflict, NotFound, Unprocessable


def list_identities(session: Session, scope: Scope, customer_id: str) -> list[Identity]:
    return list(scoped_customer(session, scope, customer_id, with_identities=True).identities)


def add_identity(
    session: Session,
    scope: Scope,
    tenant_key: bytes,
    customer_id: str,
    kind: str,
    value: str,
    now: datetime,
) -> tuple[Identity, bool]:
    """The identity and whether it is new (False: this customer held it already)."""
    require_writer(scope)
    customer = scoped_customer(session, scope, customer_id)
    try:
        key = key_of(tenant_key, kind, value)
    except (ContactError, ValueError) as exc:
        raise Unprocessable((["body", "value"], str(exc))) from exc
    lock_identifiers(session, scope.tenant_id, {key})
    holder = owners_of(session, scope.tenant_id, {key}).get(key)
    if holder is not None and holder != customer.id:
        raise Conflict(_held_by(session, scope, holder))
    if holder is None:
        add_keys(session, scope.tenant_id, customer.id, [key], now)
        customer.updated_at = now
        mark_changed(session, scope.tenant_id, [customer.id], now)
        after = {"kind": key[0]}
        audit.record(session, scope, "add_identity", "customer", customer.id, after=after, now=now)
    identity = session.scalars(
        select(Identity).where(
            Identity.tenant_id == scope.tenant_id, Identity.kind == key[0], Identity.value == key[1]
        )
    ).one()
    return identity, holder is None


def remove_identity(
    session: Session, scope: Scope, customer_id: str, identity_id: int, now: datetime
) -> Identity:
    require_writer(scope)
    customer = scoped_customer(session, scope, customer_id)
    identity = session.scalars(
        select(Identity).where(Identity.id == identity_id, Identity.customer_id == customer.id)
    ).first()
    if identity is None:
        raise NotFound(f"identity {identity_id} of customer {customer_id}")
    session.delete(identity)
    customer.updated_at = now
    session.flush()
    mark_changed(session, scope.tenant_id, [customer.id], now)
    before = {"kind": identity.kind, "identity_id": identity_id}
    audit.record(session, scope, "remove_identity", "customer", customer.id, before=before, now=now)
    return identity


def _held_by(session: Session, scope: Scope, holder: str) -> str:
    """Names the holder when the caller may see them; a record out of scope stays unnamed."""
    seen = session.scalar(
        select(Customer.id).where(Customer.id == holder, customer_in_scope(scope))
    )
    if seen is None:
        return "the identifier is held by a customer outside your scope"
    return f"the identifier is held by customer {holder}: merge the two to join them"
