"""Forming households and changing who is in them: audited, and every member's cache
entry follows (the prompt shows the family).

Who: admins, regional and store managers and staff, on customers in their scope
(hub/crm/customer_scope.py). A household is in a caller's scope when one of its members
is; every customer a write adds must be in scope too (404 otherwise, as if it did not
exist). A customer is in at most one household (409); a household has at most one head
(relation 'self'); the last member leaving ends it."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.masking import shown_to
from hub.auth.scope import Role, Scope
from hub.crm.customer_changes import mark_changed
from hub.crm.customer_scope import customer_in_scope
from hub.crm.org.errors import Inconsistent
from hub.crm.org.fields import PRINTABLE
from hub.crm.org.scoping import require
from hub.db.models import Customer, Household, HouseholdMember
from hub.errors import NotFound, Unprocessable

WRITERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER, Role.STAFF})
MAX_MEMBERS = 20  # wire: CachedHousehold.members
Relation = Literal["self", "spouse", "parent", "child", "sibling", "other"]
CustomerRef = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=PRINTABLE, examples=["cus-demo-10"]),
]


class MemberDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerRef
    relation: Relation = Field(description="to the household's head (relation 'self')")


class HouseholdDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[MemberDraft] = Field(min_length=1, max_length=MAX_MEMBERS)


def household_in_scope(session: Session, scope: Scope, household_id: str) -> Household:
    """The household if one of its members is in `scope`, else NotFound."""
    reachable = (
        select(HouseholdMember.customer_id)
        .join(Customer, Customer.id == HouseholdMember.customer_id)
        .where(HouseholdMember.household_id == household_id, customer_in_scope(scope))
        .exists()
    )
    found = session.scalar(
        select(Household).where(
            Household.id == household_id, Household.tenant_id == scope.tenant_id, reachable
        )
    )
    if found is None:
        raise NotFound("no such household")
    return found


def members_of(session: Session, household_id: str) -> list[HouseholdMember]:
    stmt = select(HouseholdMember).where(HouseholdMember.household_id == household_id)
    return list(
        session.scalars(stmt.order_by(HouseholdMember.joined_at, HouseholdMember.customer_id))
    )


def create_household(*, session: Session, scope: Scope, draft: HouseholdDraft) -> Household:
    may_write(scope)
    now = datetime.now(UTC)
    _check_relations(draft.members, [])
    _reachable(session, scope, [m.customer_id for m in draft.members])
    household = Household(id=f"hh-{uuid7().hex}", tenant_id=scope.tenant_id, created_at=now)
    session.add(household)
    session.flush()
    _join(session, household, draft.members, now)
    audit.record(
        session, scope, "create", "household", household.id, after=_shown(session, household)
    )
    return household


def add_member(
    *, session: Session, scope: Scope, household_id: str, draft: MemberDraft
) -> Household:
    may_write(scope)
    household = household_in_scope(session, scope, household_id)
    before = _shown(session, household)
    _check_relations([draft], members_of(session, household.id))
    _reachable(session, scope, [draft.customer_id])
    _join(session, household, [draft], datetime.now(UTC))
    audit.record(
        session, scope, "add_member", "household", household.id, before=before,
        after=_shown(session, household),
    )  # fmt: skip
    return household


def remove_member(
    *, session: Session, scope: Scope, household_id: str, customer_id: str
) -> Household | None:
    """The household after, or None when its last member left (it is gone)."""
    may_write(scope)
    household = household_in_scope(session, scope, household_id)
    members = members_of(session, household.id)
    if customer_id not in {m.customer_id for m in members}:
        raise NotFound("no such member of this household")
    before = _shown(session, household)
    now = datetime.now(UTC)
    mark_changed(session, scope.tenant_id, [m.customer_id for m in members], now)
    session.execute(delete(HouseholdMember).where(HouseholdMember.customer_id == customer_id))
    left = len(members) - 1
    after = _shown(session, household) if left else None
    audit.record(
        session, scope, "remove_member", "household", household.id, before=before, after=after
    )
    if left:
        return household
    session.delete(household)
    session.flush()
    return None


def may_write(scope: Scope) -> None:
    shown_to(scope.role)  # Forbidden for a role that sees no customer
    require(scope.role in WRITERS, "your role does not change households")


def _reachable(session: Session, scope: Scope, customer_ids: Sequence[str]) -> None:
    ids = sorted(set(customer_ids))
    if len(ids) != len(customer_ids):
        raise Unprocessable((["body", "members"], "a customer is named twice"))
    found = set(
        session.scalars(select(Customer.id).where(Customer.id.in_(ids), customer_in_scope(scope)))
    )
    if missing := [i for i in ids if i not in found]:
        raise NotFound(f"no such customer: {missing[0]}")
    taken = session.scalars(
        select(HouseholdMember.customer_id).where(HouseholdMember.customer_id.in_(ids))
    ).all()
    if taken:
        raise Inconsistent(f"already in a household: {sorted(taken)[0]}")


def _check_relations(new: Iterable[MemberDraft], current: Iterable[HouseholdMember]) -> None:
    heads = [m for m in current if m.relation == "self"] + [m for m in new if m.relation == "self"]
    if len(heads) > 1:
        raise Unprocessable((["body", "relation"], "a household has one head (relation 'self')"))


def _join(
    session: Session, household: Household, members: Sequence[MemberDraft], now: datetime
) -> None:
    count = (
        session.scalar(
            select(func.count())
            .select_from(HouseholdMember)
            .where(HouseholdMember.household_id == household.id)
        )
        or 0
    )
    if count + len(members) > MAX_MEMBERS:
        raise Unprocessable((["body", "members"], f"a household has at most {MAX_MEMBERS} members"))
    for m in members:
        session.add(
            HouseholdMember(
                customer_id=m.customer_id, tenant_id=household.tenant_id,
                household_id=household.id, relation=m.relation, joined_at=now,
            )
        )  # fmt: skip
    session.flush()
    ids = [m.customer_id for m in members_of(session, household.id)]
    mark_changed(session, household.tenant_id, ids, now)


def _shown(session: Session, household: Household) -> dict[str, object]:
    """What the audit keeps: ids and relations, no names or phones."""
    return {"members": {m.customer_id: m.relation for m in members_of(session, household.id)}}
