"""Merging two customers and undoing it, in the caller's transaction and scope.

A merge locks both records (in id order), moves every row of every registered table
(registry.py) from the merged customer to the survivor, recording each in merge_moves,
fills the survivor's blank fields from the merged one, and marks the merged record
`merged_into` (hidden from every read). The undo moves those rows back, and with them
what arrived after the merge through an identifier the merge moved (a card tap that
landed on the survivor), and restores the survivor's fields. Both tell the stores'
caches before and after the rows move (hub/crm/customer_changes.py). Undos go last in,
first out: a survivor since merged away is refused until that later merge is undone."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.customer_changes import mark_changed
from hub.crm.customer_scope import customer_in_scope
from hub.crm.merge import moves
from hub.crm.merge.fields import absorb, restore
from hub.crm.merge.registry import REFERENCES
from hub.db.models import Customer, Merge
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable

MERGERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER})


@dataclass(frozen=True)
class Undone:
    merge: Merge
    moved_back: dict[str, int]  # table -> rows the merge had moved, now back
    arrived: dict[str, int]  # table -> rows that came after the merge, gone back too


def merge(session: Session, scope: Scope, survivor_id: str, merged_id: str, now: datetime) -> Merge:
    _may_merge(scope)
    if survivor_id == merged_id:
        raise Unprocessable((["body", "merged_id"], "a customer cannot be merged into itself"))
    found = _locked(session, scope, [survivor_id, merged_id], merged=True)
    for customer_id in (survivor_id, merged_id):
        customer = found.get(customer_id)
        if customer is None:
            raise NotFound(f"customer {customer_id}")
        if customer.merged_into is not None:
            raise Conflict(f"customer {customer_id} is already merged into {customer.merged_into}")
    survivor, merged = found[survivor_id], found[merged_id]
    for ref in REFERENCES:
        if ref.one_per_customer and moves.both_hold(session, ref, survivor_id, merged_id):
            raise Conflict(f"both customers have a {ref.table} row: remove one of them first")
    mark_changed(session, scope.tenant_id, [survivor_id, merged_id], now)
    row = Merge(
        id=f"mrg-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        survivor_id=survivor_id,
        merged_id=merged_id,
        at=now,
        actor=scope.subject,
        survivor_before={},
        moved={},
    )
    session.add(row)
    session.flush()
    counts = {
        ref.name: moves.move_rows(session, scope.tenant_id, row.id, ref, merged_id, survivor_id)
        for ref in REFERENCES
    }
    row.moved = {name: n for name, n in counts.items() if n}  # what moved, table by table
    row.survivor_before = absorb(survivor, merged)
    merged.merged_into = survivor_id
    survivor.updated_at = merged.updated_at = now
    session.flush()
    mark_changed(session, scope.tenant_id, [survivor_id, merged_id], now)
    after = {"survivor_id": survivor_id, "merged_id": merged_id, "moved": row.moved}
    audit.record(session, scope, "merge", "customer", merged_id, after=after, now=now)
    return row


def undo(session: Session, scope: Scope, merge_id: str, now: datetime) -> Undone:
    _may_merge(scope)
    row = session.scalars(
        select(Merge).where(Merge.id == merge_id, Merge.tenant_id == scope.tenant_id)
    ).first()
    if row is None:
        raise NotFound(f"merge {merge_id}")
    found = _locked(session, scope, [row.survivor_id, row.merged_id], merged=True)
    survivor = found.get(row.survivor_id)
    if survivor is None:  # the merge is the survivor's: out of their scope, not found
        raise NotFound(f"merge {merge_id}")
    merged = session.get_one(Customer, row.merged_id, with_for_update=True)
    session.refresh(row, with_for_update=True)
    if row.undone_at is not None:
        raise Conflict(f"merge {merge_id} was undone at {row.undone_at.isoformat()}")
    if survivor.merged_into is not None:
        raise Conflict(
            f"customer {survivor.id} has since been merged into {survivor.merged_into}: "
            "undo that merge first"
        )
    mark_changed(session, scope.tenant_id, [survivor.id, merged.id], now)
    back, arrived = {}, {}
    for ref in REFERENCES:
        back[ref.name] = moves.move_back(
            session, scope.tenant_id, row.id, ref, survivor.id, merged.id
        )
    for ref in REFERENCES:
        arrived[ref.name] = moves.move_arrivals(
            session, scope.tenant_id, row.id, ref, survivor.id, merged.id
        )
    restore(survivor, row.survivor_before)
    merged.merged_into = None
    survivor.updated_at = merged.updated_at = now
    row.undone_at, row.undone_by = now, scope.subject
    session.flush()
    mark_changed(session, scope.tenant_id, [survivor.id, merged.id], now)
    back = {name: n for name, n in back.items() if n}
    arrived = {name: n for name, n in arrived.items() if n}
    after = {"merge_id": row.id, "moved_back": back, "arrived_after_merge": arrived}
    before = {"merged_into": survivor.id}
    audit.record(session, scope, "unmerge", "customer", merged.id, before=before, after=after)
    return Undone(row, back, arrived)


def _may_merge(scope: Scope) -> None:
    if scope.role not in MERGERS:
        raise Forbidden(f"the {scope.role.value} role does not merge customers")


def _locked(session: Session, scope: Scope, ids: list[str], merged: bool) -> dict[str, Customer]:
    """The customers of `ids` that the scope reaches, locked in id order. A merged-away
    record is in scope when the customer it was merged into is."""
    stmt = (
        select(Customer)
        .where(Customer.id.in_(sorted(set(ids))), customer_in_scope(scope, merged=merged))
        .order_by(Customer.id)
        .with_for_update()
    )
    return {c.id: c for c in session.scalars(stmt)}
