"""A household as a caller sees it: its members masked by the caller's role (a member out
of the caller's scope shows only a family name and a masked phone), and its figures."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.masking import mask_name, mask_phone, shown_to
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope
from hub.crm.households.figures import Figures, figures_of
from hub.crm.households.members import household_in_scope, members_of
from hub.db.models import Customer, Household, HouseholdMember
from hub.errors import NotFound


@dataclass(frozen=True)
class ShownMember:
    customer_id: str
    name: str
    phone: str | None
    relation: str
    joined_at: datetime
    in_scope: bool


@dataclass(frozen=True)
class ShownHousehold:
    id: str
    created_at: datetime
    members: list[ShownMember]
    figures: Figures


def show_household(session: Session, scope: Scope, household_id: str) -> ShownHousehold:
    shown = shown_to(scope.role)
    household = household_in_scope(session, scope, household_id)
    return _shown(session, scope, household, shown.name == "full", shown.phone == "full")


def household_of_customer(session: Session, scope: Scope, customer_id: str) -> ShownHousehold:
    """The household of a customer in scope; NotFound when out of scope or in none."""
    shown_to(scope.role)
    stmt = (
        select(HouseholdMember.household_id)
        .join(Customer, Customer.id == HouseholdMember.customer_id)
        .where(HouseholdMember.customer_id == customer_id, customer_in_scope(scope))
    )
    household_id = session.scalar(stmt)
    if household_id is None:
        raise NotFound("no household for this customer")
    return show_household(session, scope, household_id)


def _shown(
    session: Session, scope: Scope, household: Household, full_name: bool, full_phone: bool
) -> ShownHousehold:
    members = members_of(session, household.id)
    ids = [m.customer_id for m in members]
    people = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}
    reached = set(
        session.scalars(select(Customer.id).where(Customer.id.in_(ids), customer_in_scope(scope)))
    )
    shown = []
    for m in members:
        person, inside = people[m.customer_id], m.customer_id in reached
        shown.append(
            ShownMember(
                customer_id=m.customer_id,
                name=person.name if full_name and inside else mask_name(person.name),
                phone=person.phone if full_phone and inside else mask_phone(person.phone),
                relation=m.relation,
                joined_at=m.joined_at,
                in_scope=inside,
            )
        )
    figures = figures_of(session, [household.id])[household.id]
    return ShownHousehold(household.id, household.created_at, shown, figures)
