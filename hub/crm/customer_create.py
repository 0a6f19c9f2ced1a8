"""Creating a customer from what a person gives at the counter, or finding them: when any
identifier is already held, that customer is the answer and gains the identifiers it
lacks (and the blank fields the request fills). Scoped, audited, the caches told."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.customer_changes import mark_changed
from hub.crm.customer_scope import customer_in_scope
from hub.crm.identities import Key, lock_identifiers, new_customer_id, owners_of
from hub.crm.identity_input import Typed, keys_of
from hub.db.models import MEMBER, Customer, Identity, Store
from hub.errors import Conflict, Forbidden, Unprocessable

WRITERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.STAFF})


@dataclass(frozen=True)
class NewCustomer:
    name: str
    typed: Typed
    birthday: date | None = None
    home_store_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    customer: Customer  # identities loaded
    created: bool
    matched_by: list[str]  # the kinds of the identifiers already held (by this customer)
    added: list[str]  # the kinds this request gave them


def require_writer(scope: Scope) -> None:
    if scope.role not in WRITERS:
        raise Forbidden(f"the {scope.role.value} role does not change customers")


def create_or_match(
    session: Session, scope: Scope, tenant_key: bytes, new: NewCustomer, now: datetime
) -> Outcome:
    require_writer(scope)
    check_store(session, scope, new.home_store_id)
    keys = keys_of(tenant_key, new.typed)
    if not keys:
        raise Unprocessable((["body"], "at least one identifier (phone, e-mail, card, ...)"))
    lock_identifiers(session, scope.tenant_id, set(keys))
    owners = owners_of(session, scope.tenant_id, set(keys))
    holders = sorted(set(owners.values()))
    if len(holders) > 1:
        raise Conflict(f"the identifiers belong to {len(holders)} customers: merge them first")
    if holders:
        customer = _visible(session, scope, holders[0])
        before = audit.row_values(customer, leave_out=("custom", "phone"))
        _fill(customer, new)
    else:
        customer = _new(session, scope.tenant_id, new, now)
        before = None
    missing = [k for k in keys if k not in owners]
    add_keys(session, scope.tenant_id, customer.id, missing, now)
    customer.updated_at = now
    session.flush()
    session.refresh(customer, ["identities"])
    mark_changed(session, scope.tenant_id, [customer.id], now)
    after = {
        **audit.row_values(customer, leave_out=("custom", "phone")),
        "added_identities": [k for k, _v in missing],
    }
    action = "update" if before is not None else "create"
    audit.record(session, scope, action, "customer", customer.id, before=before, after=after)
    return Outcome(
        customer, before is None, sorted({k for k, _v in owners}), [k for k, _ in missing]
    )


def add_keys(
    session: Session, tenant_id: str, customer_id: str, keys: list[Key], now: datetime
) -> None:
    for kind, value in keys:
        session.add(
            Identity(
                tenant_id=tenant_id, customer_id=customer_id, kind=kind, value=value, created_at=now
            )
        )
    session.flush()


def check_store(session: Session, scope: Scope, store_id: str | None) -> None:
    """A home store of the tenant, and one of the caller's stores for a scoped caller."""
    if store_id is None:
        if scope.store_ids is not None:
            raise Unprocessable((["body", "home_store_id"], "required: you reach only your stores"))
        return
    found = session.scalar(
        select(Store.id).where(Store.id == store_id, Store.tenant_id == scope.tenant_id)
    )
    if found is None:
        raise Unprocessable((["body", "home_store_id"], f"no store {store_id}"))
    if scope.store_ids is not None and store_id not in scope.store_ids:
        raise Forbidden(f"store {store_id} is outside your stores")


def _visible(session: Session, scope: Scope, customer_id: str) -> Customer:
    customer = session.scalars(
        select(Customer)
        .where(Customer.id == customer_id, customer_in_scope(scope))
        .with_for_update()
    ).first()
    if customer is None:  # held, but by someone the caller may not see: no id, no data
        raise Conflict("an identifier is held by a customer outside your scope")
    return customer


def _fill(customer: Customer, new: NewCustomer) -> None:
    if not customer.name and new.name:
        customer.name = new.name
    if customer.birthday is None:
        customer.birthday = new.birthday
    if customer.home_store_id is None:
        customer.home_store_id = new.home_store_id
    if customer.name:
        customer.status = MEMBER


def _new(session: Session, tenant_id: str, new: NewCustomer, now: datetime) -> Customer:
    customer = Customer(
        id=new_customer_id(),
        tenant_id=tenant_id,
        name=new.name,
        phone=None,  # phones are held as keyed hashes only (identities)
        home_store_id=new.home_store_id,
        status=MEMBER,
        birthday=new.birthday,
        tags=[],
        custom={},
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    return customer
