"""One row of a customers file: found through its identity keys (phone, member number,
e-mail, in that order), or made; then named, given a home store if they had none, and
given the row's custom values, checked as every other write checks them. Everything is
checked before anything is written, so a failed row leaves nothing behind; a customer
the caller's scope does not reach is never changed (the row fails instead)."""

from typing import Any

from sqlalchemy import select

from hub.crm.custom_fields.values import checked
from hub.crm.customer_scope import customer_in_scope
from hub.crm.identities import IdentityRace, Key, owners_of
from hub.crm.identity_keys import EMAIL, email_key, find_or_create, member_key, phone_key
from hub.crm.imports.context import Batch, FileRow, RowFailed
from hub.crm.imports.rows import CustomerRow, Problem, custom_value, parse_row
from hub.db.models import MEMBER, Customer
from hub.errors import Unprocessable
from wire.identity import IdentifierKind

KEY_FIELDS = {IdentifierKind.PHONE_HASH.value: "phone", IdentifierKind.MEMBER_NO.value:
              "member_no", EMAIL: "email"}  # fmt: skip
OUT_OF_SCOPE = "already a customer outside your stores; not changed"


def import_customer(batch: Batch, row: FileRow) -> tuple[str, bool]:
    """(the customer's id, whether the row made them)."""
    parsed, problems = parse_row(CustomerRow, row.cells)
    store_id, why = batch.stores.resolve(row.cells.get("store") or None)
    if why is not None:
        problems.append(("store", why))
    if parsed is None or problems:
        raise RowFailed(problems)
    keys = _keys(batch.keys.tenant_key, parsed)
    current = _current(batch, keys)
    custom = _checked_custom(batch, current, row.custom)
    for attempt in range(2):
        try:
            with batch.session.begin_nested():
                found = find_or_create(batch.session, batch.scope.tenant_id, keys, batch.now,
                                       home_store_id=store_id)  # fmt: skip
                assert found.customer_id is not None  # keys are never empty here
                customer = batch.session.get_one(Customer, found.customer_id)
                _update(batch, customer, parsed, store_id, custom)
            return customer.id, current is None
        except IdentityRace:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _keys(tenant_key: bytes, row: CustomerRow) -> list[Key]:
    keys = [phone_key(tenant_key, row.phone)] if row.phone else []
    keys += [member_key(row.member_no)] if row.member_no else []
    return keys + ([email_key(row.email)] if row.email else [])


def _current(batch: Batch, keys: list[Key]) -> Customer | None:
    """The customer the keys find (the first key anyone holds wins, as find_or_create
    decides), or None for a new one; RowFailed when any holder is out of scope."""
    owners = owners_of(batch.session, batch.scope.tenant_id, set(keys))
    if not owners:
        return None
    reached = set(
        batch.session.scalars(
            select(Customer.id).where(
                Customer.id.in_(sorted(set(owners.values()))), customer_in_scope(batch.scope)
            )
        )
    )
    outside = [KEY_FIELDS[k[0]] for k in keys if k in owners and owners[k] not in reached]
    if outside:
        raise RowFailed([(field, OUT_OF_SCOPE) for field in outside])
    first = next(owners[k] for k in keys if k in owners)
    return batch.session.get_one(Customer, first)


def _checked_custom(batch: Batch, current: Customer | None, cells: dict[str, str]) -> Any:
    by_name = {f.name: f for f in batch.fields}
    changes = {name: custom_value(by_name[name], text) for name, text in cells.items()}
    try:
        return checked(batch.fields, dict(current.custom or {}) if current else {}, changes)
    except Unprocessable as exc:
        problems: list[Problem] = [(f"custom:{loc[-1]}", why) for loc, why in exc.problems]
        raise RowFailed(problems) from exc


def _update(batch: Batch, c: Customer, row: CustomerRow, store_id: str | None, custom: Any) -> None:
    values: dict[str, Any] = {"name": row.name, "status": MEMBER, "custom": custom}
    if c.phone is None and row.phone:
        values["phone"] = row.phone
    if c.home_store_id is None and store_id is not None:
        values["home_store_id"] = store_id
    if any(getattr(c, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(c, k, v)
        c.updated_at = batch.now
        batch.session.flush()
