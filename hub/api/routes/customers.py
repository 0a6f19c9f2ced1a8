"""The customer 360 and its older pages of purchases and touchpoints."""

from collections.abc import Callable, Iterable
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
    Problem,
    PurchaseOut,
    PurchasePage,
    ShownOut,
    TouchpointOut,
    TouchpointPage,
)
from hub.auth.masking import shown_to
from hub.crm import customer_shown
from hub.crm.customer_view import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    BadCursor,
    customer_360,
    purchases_page,
    scoped_customer,
    touchpoints_page,
)

T = TypeVar("T")
Out = TypeVar("Out", bound=BaseModel)

router = APIRouter(
    prefix="/customers",
    tags=["customers"],
    responses={
        403: {"model": Problem, "description": "a role that sees no customer data"},
        503: {"model": Problem},
    },
)

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
    scope: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    """The 360 view: profile, identities (masked), the newest `limit` purchases with items
    and the newest `limit` touchpoints, as far as the caller's scope reaches and as much as
    their role is shown. Older ones page through `purchases_next` / `touchpoints_next` and
    the two list routes below. A customer out of scope is 404."""

    def read(session: Session) -> Customer360:
        return _to_360(customer_shown.show(customer_360(session, scope, customer_id, limit)))

    return await _json(sessions, read)


@router.get("/{customer_id}/purchases", response_model=PurchasePage, responses=_NOT_FOUND)
async def list_purchases(
    customer_id: CustomerIdPath,
    sessions: SessionFactoryDep,
    scope: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
    before: Before = None,
) -> Response:
    """Purchases in scope, newest first, a page at a time (items for roles shown them)."""

    def read(session: Session) -> PurchasePage:
        customer = scoped_customer(session, scope, customer_id)
        shown = shown_to(scope.role)
        page = _cursor_checked(lambda: purchases_page(session, scope, customer, limit, before))
        rows = customer_shown.purchases(page, shown)
        return PurchasePage(purchases=_all(PurchaseOut, rows.rows), next=rows.next_cursor)

    return await _json(sessions, read)


@router.get("/{customer_id}/touchpoints", response_model=TouchpointPage, responses=_NOT_FOUND)
async def list_touchpoints(
    customer_id: CustomerIdPath,
    sessions: SessionFactoryDep,
    scope: CustomersReadDep,
    limit: Limit = DEFAULT_LIMIT,
    before: Before = None,
) -> Response:
    """Touchpoints in scope, newest first, a page at a time."""

    def read(session: Session) -> TouchpointPage:
        customer = scoped_customer(session, scope, customer_id)
        page = _cursor_checked(lambda: touchpoints_page(session, scope, customer, limit, before))
        return TouchpointPage(touchpoints=_all(TouchpointOut, page.rows), next=page.next_cursor)

    return await _json(sessions, read)


async def _json(sessions: sessionmaker[Session], read: Callable[[Session], BaseModel]) -> Response:
    """Read and serialise in one thread-pool call, and hand FastAPI the bytes. A sync route
    cost three more hops (the route, FastAPI's re-validation of the returned model, the
    session's exit); the model is validated once, when `read` builds it."""

    def work() -> bytes:
        with sessions() as session:
            return read(session).model_dump_json().encode()

    return Response(await run_in_threadpool(work), media_type="application/json")


def _cursor_checked(read: Callable[[], T]) -> T:
    try:
        return read()
    except BadCursor as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _all(schema: type[Out], rows: Iterable[object]) -> list[Out]:
    return [schema.model_validate(r) for r in rows]


def _to_360(view: customer_shown.ShownView) -> Customer360:
    return Customer360(
        profile=CustomerProfile.model_validate(view.profile),
        shown=ShownOut.model_validate(view.shown._asdict()),
        identities=_all(IdentityOut, view.identities),
        purchases=_all(PurchaseOut, view.purchases.rows),
        touchpoints=_all(TouchpointOut, view.touchpoints.rows),
        purchases_next=view.purchases.next_cursor,
        touchpoints_next=view.touchpoints.next_cursor,
    )
