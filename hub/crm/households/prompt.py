"""The household block of a gateway's cache entry (wire `CachedHousehold`): the members
(masked names, relations), who bought for whom, the decision-maker, and a family phone:
the first other member's (by joining, then id) that has one, masked like every phone
outside the CRM core (hub.auth.masking.mask_phone). Never a raw phone."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.masking import mask_name, mask_phone
from hub.crm.households.figures import figures_of
from hub.db.arrays import any_of
from hub.db.models import Customer, HouseholdMember
from wire.messages import CachedHousehold, FamilyPurchases
from wire.messages import HouseholdMember as WireMember

MAX_FLOWS = 50  # wire: CachedHousehold.bought_for


def households_for(session: Session, customer_ids: Iterable[str]) -> dict[str, CachedHousehold]:
    """customer -> the household block of their cache entry (customers in none: absent)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    mine = select(HouseholdMember.household_id).where(any_of(HouseholdMember.customer_id, ids))
    rows = session.execute(
        select(HouseholdMember, Customer.name, Customer.phone)
        .join(Customer, Customer.id == HouseholdMember.customer_id)
        .where(HouseholdMember.household_id.in_(mine))
        .order_by(
            HouseholdMember.household_id, HouseholdMember.joined_at, HouseholdMember.customer_id
        )
    ).all()
    by_household: dict[str, list[tuple[HouseholdMember, str, str | None]]] = defaultdict(list)
    for member, name, phone in rows:
        by_household[member.household_id].append((member, name, phone))
    figures = figures_of(session, by_household)
    found: dict[str, CachedHousehold] = {}
    for household_id, members in by_household.items():
        f = figures[household_id]
        shown = [
            WireMember(customer_id=m.customer_id, display_name=mask_name(n), relation=m.relation)
            for m, n, _p in members
        ]
        flows = [
            FamilyPurchases(buyer_id=b, for_id=t, count=n) for b, t, n in f.bought_for[:MAX_FLOWS]
        ]
        for member, _name, _phone in members:
            if member.customer_id not in ids:
                continue
            phone = next(
                (p for m, _n, p in members if m.customer_id != member.customer_id and p), None
            )
            found[member.customer_id] = CachedHousehold(
                household_id=household_id,
                members=shown,
                bought_for=flows,
                family_phone=mask_phone(phone),
                decision_maker_id=f.decision_maker_id,
            )
    return found
