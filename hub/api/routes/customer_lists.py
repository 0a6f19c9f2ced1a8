"""GET /customers: the customer list, filtered, searched and keyset-paged in the caller's
scope, masked by role (hub.crm.lists; docs/crm/search.md)."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from hub.api.deps import CustomersReadDep, Instant, SessionDep, SettingsDep
from hub.api.list_schemas import (
    After,
    Custom,
    CustomerListPage,
    Id,
    Limit,
    ListedCustomerOut,
    Name,
    Phone,
    Score,
    Stage,
    Tag,
)
from hub.api.schemas import Problem
from hub.auth.scope import Scope
from hub.crm.contacts import ContactError
from hub.crm.customer_view import BadCursor
from hub.crm.identity_keys import phone_key
from hub.crm.lists import custom_filters
from hub.crm.lists.customer_list import DEFAULT_LIMIT, list_customers
from hub.crm.lists.filters import ListFilters
from hub.errors import Unprocessable
from hub.settings import HubSettings

router = APIRouter(
    prefix="/customers",
    tags=["customers"],
    responses={
        403: {
            "model": Problem,
            "description": "a role that sees no customers, or a name "
            "search by a role shown family names only",
        },
        503: {"model": Problem},
    },
)


@router.get(
    "",
    response_model=CustomerListPage,
    responses={422: {"description": "a bad cursor, phone or custom-field filter, named"}},
)
def get_customers(
    session: SessionDep,
    scope: CustomersReadDep,
    settings: SettingsDep,
    store_id: Id = None,
    region_id: Id = None,
    tag: Tag = None,
    owner_staff_id: Id = None,
    score_min: Score = None,
    score_max: Score = None,
    last_visit_after: Instant | None = None,
    last_visit_before: Instant | None = None,
    custom: Custom = None,
    stage: Annotated[Stage | None, Query(description="funnel stage (leads only, for now)")] = None,
    q: Name = None,
    phone: Phone = None,
    limit: Limit = DEFAULT_LIMIT,
    after: After = None,
) -> CustomerListPage:
    """Customers in the caller's scope matching every filter given, in name order, a page
    at a time. Out-of-scope stores, regions or owners simply match nobody."""
    filters = ListFilters(
        store_id=store_id,
        region_id=region_id,
        tag=tag,
        owner_staff_id=owner_staff_id,
        score_min=score_min,
        score_max=score_max,
        last_visit_after=last_visit_after,
        last_visit_before=last_visit_before,
        custom=custom_filters.parse(session, scope.tenant_id, custom or []),
        stage=stage,
        q=q,
        phone=_phone(settings, phone),
    )
    return _page(session, scope, filters, limit, after)


def _phone(settings: HubSettings, raw: str | None) -> tuple[str, str] | None:
    if raw is None:
        return None
    try:
        return phone_key(settings.tenant_key.get_secret_value().encode(), raw)
    except ContactError as exc:
        raise Unprocessable((["query", "phone"], str(exc))) from exc


def _page(
    session: Session, scope: Scope, filters: ListFilters, limit: int, after: str | None
) -> CustomerListPage:
    try:
        page = list_customers(session, scope, filters, limit, after)
    except BadCursor as exc:
        raise Unprocessable((["query", "after"], str(exc))) from exc
    rows = [ListedCustomerOut.model_validate(asdict(c)) for c in page.customers]
    return CustomerListPage(customers=rows, next=page.next_cursor)
