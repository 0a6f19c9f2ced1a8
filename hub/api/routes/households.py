"""Households and 家属代购 (docs/crm/households.md): family members linked as one unit,
read masked by role, changed by store roles within their scope, every change audited."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from hub.api.deps import (
    CustomerIdPath,
    CustomersReadDep,
    RecordIdPath,
    ScopeDep,
    SessionDep,
    WriteSessionDep,
)
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.households import family, members, view
from hub.crm.households.family import PurchaseFor
from hub.crm.households.members import HouseholdDraft, MemberDraft
from hub.crm.households.view import ShownHousehold

router = APIRouter(
    tags=["households"],
    responses={
        403: {"model": Problem, "description": "a role that sees no customer data"},
        503: {"model": Problem},
    },
)
PurchaseIdPath = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[1])]


class MemberOut(BaseModel):
    customer_id: str
    name: str = Field(description="masked by role; a family name only when out of your scope")
    phone: str | None = Field(description="masked by role, always when out of your scope")
    relation: str = Field(description="to the household's head (relation 'self')")
    joined_at: datetime
    in_scope: bool


class FamilyPurchasesOut(BaseModel):
    buyer_id: str
    for_id: str
    count: int


class HouseholdOut(BaseModel):
    id: str
    created_at: datetime
    members: list[MemberOut]
    purchases: int = Field(description="all purchases of its members")
    family_purchases: int = Field(description="of them, bought for another member (家属代购)")
    family_purchase_share: float = Field(description="family_purchases / purchases (by count)")
    amount: int = Field(description="minor units")
    family_purchase_amount: int
    family_purchase_amount_share: float = Field(description="by amount, for comparison")
    decision_maker_id: str | None = Field(description="made over 60 % of its purchases")
    bought_for: list[FamilyPurchasesOut] = Field(description="who bought for whom, how often")

    @classmethod
    def of(cls, h: ShownHousehold) -> "HouseholdOut":
        f = h.figures
        return cls(
            id=h.id,
            created_at=h.created_at,
            members=[MemberOut(**vars(m)) for m in h.members],
            purchases=f.purchases,
            family_purchases=f.for_family,
            family_purchase_share=f.share,
            amount=f.amount,
            family_purchase_amount=f.for_family_amount,
            family_purchase_amount_share=f.amount_share,
            decision_maker_id=f.decision_maker_id,
            bought_for=[
                FamilyPurchasesOut(buyer_id=b, for_id=t, count=n) for b, t, n in f.bought_for
            ],
        )


class PurchaseForOut(BaseModel):
    id: int
    customer_id: str | None
    for_customer_id: str | None


@router.post(
    "/households",
    response_model=HouseholdOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)
def create_household(
    draft: HouseholdDraft, session: WriteSessionDep, scope: ScopeDep
) -> HouseholdOut:
    """Link customers of your scope as one household; each may be in one household only."""
    made = members.create_household(session=session, scope=scope, draft=draft)
    return HouseholdOut.of(view.show_household(session, scope, made.id))


@router.get("/households/{household_id}", response_model=HouseholdOut, responses=READ_ERRORS)
def get_household(
    household_id: RecordIdPath, session: SessionDep, scope: CustomersReadDep
) -> HouseholdOut:
    """Its members masked by your role, its family-purchase share and decision-maker."""
    return HouseholdOut.of(view.show_household(session, scope, household_id))


@router.post(
    "/households/{household_id}/members",
    response_model=HouseholdOut,
    status_code=status.HTTP_201_CREATED,
    responses=WRITE_ERRORS,
)
def add_member(
    household_id: RecordIdPath, draft: MemberDraft, session: WriteSessionDep, scope: ScopeDep
) -> HouseholdOut:
    members.add_member(session=session, scope=scope, household_id=household_id, draft=draft)
    return HouseholdOut.of(view.show_household(session, scope, household_id))


@router.delete(
    "/households/{household_id}/members/{customer_id}",
    response_model=HouseholdOut,
    responses={**WRITE_ERRORS, 204: {"description": "the last member left: no household"}},
)
def remove_member(
    household_id: RecordIdPath,
    customer_id: CustomerIdPath,
    session: WriteSessionDep,
    scope: ScopeDep,
) -> HouseholdOut | Response:
    """The household after; 204 when its last member left (it is gone)."""
    left = members.remove_member(
        session=session, scope=scope, household_id=household_id, customer_id=customer_id
    )
    if left is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return HouseholdOut.of(view.show_household(session, scope, household_id))


@router.get(
    "/customers/{customer_id}/household", response_model=HouseholdOut, responses=READ_ERRORS
)
def customer_household(
    customer_id: CustomerIdPath, session: SessionDep, scope: CustomersReadDep
) -> HouseholdOut:
    """The household of a customer in your scope (404 when they are in none)."""
    return HouseholdOut.of(view.household_of_customer(session, scope, customer_id))


@router.patch("/purchases/{purchase_id}", response_model=PurchaseForOut, responses=WRITE_ERRORS)
def mark_purchase(
    purchase_id: PurchaseIdPath, draft: PurchaseFor, session: WriteSessionDep, scope: ScopeDep
) -> PurchaseForOut:
    """家属代购: say which member of the buyer's household a purchase was for (null: none)."""
    p = family.mark_purchase(session=session, scope=scope, purchase_id=purchase_id, draft=draft)
    return PurchaseForOut(id=p.id, customer_id=p.customer_id, for_customer_id=p.for_customer_id)
