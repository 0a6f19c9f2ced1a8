"""The customer 360 and its older pages of purchases and touchpoints."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from hub.api.deps import CustomerIdPath, CustomersReadDep, SessionFactoryDep
from hub.api.schemas import (
    Customer360,
    CustomerProfile,
    IdentityOut,
    ItemOut,
    Problem,
    PurchaseOut,
    PurchasePage,
    TouchpointOut,
    TouchpointPage,
)
from hub.crm.customer_view import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadCursor,
    CustomerView,
    Page,
    customer_360,
    customer_exists,
    purchases_page,
    touchpoints_page,
)
from hub.crm.masking import mask_identifier, mask_name, mask_phone
from hub.db.models import Purchase, Touchpoint
from hub.errors import NotFound

P = TypeVar("P", bound=Page[Any])

router = APIRouter(prefix="/customers", tags=["customers"], responses={503: {"model": Problem}})

Limit = Annotated[
    int,
    Query(
        ge=1,
        le=MAX_LIMIT,
        description=f"Purchases and touchpoints per page (each), newest first; "
        f"default {DEFAULT_LIMIT}, at most {MAX_LIMIT}",
    ),
]
Before = Annotated[
    str | None,
    Query(
        max_length=29,
        pattern=r"^[0-9]{1,18}\.[0-9]{1,10}$",
        description="A `next` cursor from the previous page: only rows older than it",
    ),
]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem},
    422: {"description": "Bad limit or cursor"},
}


@router.get("/{customer_id}", response_model=Customer360, responses=_NOT_FOUND)
async def get_customer(
    customer_id: CustomerIdPath,
    sessions: SessionFactoryDep,
    _who: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """The 360 view: profile, identities (masked), the newest `limit` purchases with items
    and the newest `limit` touchpoints. Older ones page through `purchases_next` /
    `touchpoints_next` and the two list routes below."""

    def read(session: Session) -> Customer360:
        return _to_360(customer_360(session, customer_id, limit))

    return await _json(sessions, read)


@router.get("/{customer_id}/purchases", response_model=PurchasePage, responses=_NOT_FOUND)
async def list_purchases(
    customer_id: CustomerIdPath,
    sessions: SessionFactoryDep,
    _who: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
    before: Before = None,
) -> Response:
    """Purchases with items, newest first, a page at a time."""

    def read(session: Session) -> PurchasePage:
        page = _checked(
            session, customer_id, lambda: purchases_page(session, customer_id, limit, before)
        )
        return PurchasePage(purchases=[_purchase(p) for p in page.rows], next=page.next_cursor)

    return await _json(sessions, read)


@router.get("/{customer_id}/touchpoints", response_model=TouchpointPage, responses=_NOT_FOUND)
async def list_touchpoints(
    customer_id: CustomerIdPath,
    sessions: SessionFactoryDep,
    _who: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
    before: Before = None,
) -> Response:
    """Touchpoints, newest first, a page at a time."""

    def read(session: Session) -> TouchpointPage:
        page = _checked(
            session, customer_id, lambda: touchpoints_page(session, customer_id, limit, before)
        )
        return TouchpointPage(
            touchpoints=[_touchpoint(t) for t in page.rows], next=page.next_cursor
        )

    return await _json(sessions, read)


async def _json(sessions: sessionmaker[Session], read: Callable[[Session], BaseModel]) -> Response:
    """Read and serialise in one thread-pool call, and hand FastAPI the bytes. A sync route
    cost three more hops (the route, FastAPI's re-validation of the returned model, the
    session's exit); the model is validated once, when `read` builds it."""

    def work() -> bytes:
        with sessions() as session:
            return read(session).model_dump_json().encode()

    return Response(await run_in_threadpool(work), media_type="application/json")


def _checked(session: Session, customer_id: str, read: Callable[[], P]) -> P:
    """A page, 422 on a bad cursor, 404 if the page is empty because nobody has that id."""
    try:
        page = read()
    except BadCursor as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    # An empty page is either the end of a history or an unknown customer; only then ask.
    if not page.rows and not customer_exists(session, customer_id):
        raise NotFound(f"customer {customer_id}")
    return page


def _to_360(view: CustomerView) -> Customer360:
    c = view.customer
    return Customer360(
        profile=CustomerProfile(
            id=c.id,
            name=c.name,
            display_name=mask_name(c.name),
            phone_masked=mask_phone(c.phone),
            status=c.status,
            home_store_id=c.home_store_id,
            tags=[str(t) for t in c.tags],
            created_at=c.created_at,
            updated_at=c.updated_at,
        ),
        identities=[
            IdentityOut(
                kind=i.kind, value_masked=mask_identifier(i.kind, i.value), since=i.created_at
            )
            for i in c.identities
        ],
        purchases=[_purchase(p) for p in view.purchases.rows],
        touchpoints=[_touchpoint(t) for t in view.touchpoints.rows],
        purchases_next=view.purchases.next_cursor,
        touchpoints_next=view.touchpoints.next_cursor,
    )


def _purchase(p: Purchase) -> PurchaseOut:
    return PurchaseOut(
        receipt_no=p.receipt_no,
        at=p.at,
        store_id=p.store_id,
        total=p.total,
        currency=p.currency,
        staff_id=p.staff_id,
        items=[
            ItemOut(sku=i.sku, name=i.name, qty=i.qty, unit_price=i.unit_price) for i in p.items
        ],
    )


def _touchpoint(t: Touchpoint) -> TouchpointOut:
    return TouchpointOut(
        kind=t.kind,
        channel=t.channel,
        at=t.at,
        store_id=t.store_id,
        staff_id=t.staff_id,
        detail=t.detail,
    )
