"""Setting a customer's custom values, within the caller's row scope, checked against the
tenant's fields, audited with what changed."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.custom_fields.definitions import live_fields
from hub.crm.custom_fields.values import checked
from hub.crm.customer_scope import customer_in_scope
from hub.crm.org.scoping import require
from hub.db.models import Customer
from hub.errors import NotFound

WRITERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.STAFF})


def set_custom(
    *, session: Session, scope: Scope, customer_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    require(scope.role in WRITERS, "your role does not change customers")
    customer = session.scalars(
        select(Customer).where(Customer.id == customer_id, customer_in_scope(scope))
    ).first()
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    fields = live_fields(session, scope.tenant_id, "customer")
    before = dict(customer.custom or {})
    after = checked(fields, before, changes)
    if after != before:
        customer.custom = after
        session.flush()
        keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
        was = {"custom": {k: before.get(k) for k in keys}}
        now = {"custom": {k: after.get(k) for k in keys}}
        audit.record(session, scope, "update", "customer", customer.id, before=was, after=now)
    return after
