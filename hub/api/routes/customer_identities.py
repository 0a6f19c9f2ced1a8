"""Customers made or found by their identifiers, and each customer's identifiers: add one
(409 naming the holder when another customer has it, so the two can be merged), list them
(masked), remove one. Writes are audited; answers are masked by the caller's role."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from hub.api.deps import CustomerIdPath, CustomersReadDep, SessionDep, SettingsDep, WriteSessionDep
from hub.api.identity_schemas import (
    CustomerDraft,
    CustomerMatched,
    IdentityDraft,
    IdentityList,
    IdentityRef,
)
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import CustomerProfile, Problem
from hub.api.security import require_grant
from hub.auth.grants import CUSTOMERS_WRITE
from hub.auth.masking import mask_identifier, shown_to
from hub.auth.scope import Scope
from hub.crm import customer_shown
from hub.crm.customer_create import NewCustomer, create_or_match
from hub.crm.identity_admin import add_identity, list_identities, remove_identity
from hub.crm.identity_input import Typed
from hub.db.models import Identity

router = APIRouter(tags=["customers"], responses={503: {"model": Problem}})
CustomersWriteDep = Annotated[Scope, Depends(require_grant(CUSTOMERS_WRITE))]
IdentityIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
_WRITTEN: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    422: {"description": "an identifier that is not one, named by its place"},
}


@router.post(
    "/customers",
    status_code=201,
    response_model=CustomerMatched,
    responses={**_WRITTEN, 200: {"model": CustomerMatched, "description": "found by one"}},
)
def create_customer(
    body: CustomerDraft,
    response: Response,
    session: WriteSessionDep,
    settings: SettingsDep,
    scope: CustomersWriteDep,
) -> CustomerMatched:
    """201 with a new customer; 200 with the customer who already holds one of the
    identifiers (`matched_by` says which kinds), now holding the others too. 409 when the
    identifiers belong to two customers (merge them) or to one outside your scope."""
    typed = Typed(
        id_card_number=body.id_card_number,
        phones=body.phones,
        member_no=body.member_no,
        card_uids=body.card_uids,
        emails=body.emails,
        wecom_id=body.wecom_id,
    )
    new = NewCustomer(body.name, typed, body.birthday, body.home_store_id)
    key = settings.tenant_key.get_secret_value().encode()
    outcome = create_or_match(session, scope, key, new, datetime.now(UTC))
    response.status_code = 201 if outcome.created else 200
    shown = shown_to(scope.role)
    c = outcome.customer
    return CustomerMatched(
        customer=CustomerProfile.model_validate(customer_shown.profile(c, shown)),
        birthday=c.birthday if shown.name == "full" else None,
        identities=[_ref(i) for i in c.identities],
        created=outcome.created,
        matched_by=outcome.matched_by,
        added=outcome.added,
    )


@router.get(
    "/customers/{customer_id}/identities",
    response_model=IdentityList,
    responses={404: {"model": Problem}},
)
def get_identities(
    customer_id: CustomerIdPath, session: SessionDep, scope: CustomersReadDep
) -> IdentityList:
    """Every identifier of a customer in scope, masked."""
    return IdentityList(identities=[_ref(i) for i in list_identities(session, scope, customer_id)])


@router.post(
    "/customers/{customer_id}/identities",
    status_code=201,
    response_model=IdentityRef,
    responses={**_WRITTEN, 200: {"model": IdentityRef, "description": "held already"}},
)
def post_identity(
    customer_id: CustomerIdPath,
    body: IdentityDraft,
    response: Response,
    session: WriteSessionDep,
    settings: SettingsDep,
    scope: CustomersWriteDep,
) -> IdentityRef:
    """201 added; 200 when this customer held it already; 409 naming the customer who
    holds it (POST /merges joins the two)."""
    key = settings.tenant_key.get_secret_value().encode()
    now = datetime.now(UTC)
    identity, added = add_identity(session, scope, key, customer_id, body.kind, body.value, now)
    response.status_code = 201 if added else 200
    return _ref(identity)


@router.delete(
    "/customers/{customer_id}/identities/{identity_id}",
    response_model=IdentityRef,
    responses=WRITE_ERRORS,
)
def delete_identity(
    customer_id: CustomerIdPath,
    identity_id: IdentityIdPath,
    session: WriteSessionDep,
    scope: CustomersWriteDep,
) -> IdentityRef:
    """Removes one identifier (a card lost, a number given up); the stores forget it."""
    return _ref(remove_identity(session, scope, customer_id, identity_id, datetime.now(UTC)))


def _ref(i: Identity) -> IdentityRef:
    return IdentityRef(
        id=i.id, kind=i.kind, value=mask_identifier(i.kind, i.value), since=i.created_at
    )
