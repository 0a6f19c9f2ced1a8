"""Orders taken in the field (docs/crm/field-sales.md): an intent, confirmed or cancelled,
tied to a deal and a visit of the same customer, with structured competitor feedback."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.field_sales_schemas import (
    CompetitorIn,
    CompetitorOut,
    OrderIn,
    OrderLineOut,
    OrderOut,
    OrderPage,
    OrderTransitionIn,
)
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS, After, Limit
from hub.api.schemas import Problem
from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.field_sales import orders
from hub.crm.org.fields import PRINTABLE
from hub.crm.org.paging import DEFAULT_LIMIT
from hub.db.models import SalesOrder

router = APIRouter(prefix="/orders", tags=["field sales"], responses={503: {"model": Problem}})
OrderIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
RefQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]
OrderStatus = Literal["intent", "confirmed", "cancelled"]
_STEP_ERRORS = {**WRITE_ERRORS, 409: {"model": Problem, "description": "not an intent"}}


def order_out(scope: Scope, o: SalesOrder) -> OrderOut:
    words = shown_to(scope.role).health_tags
    competitor = CompetitorOut(
        name=o.competitor_name,
        product=o.competitor_product,
        unit_price=o.competitor_unit_price_fen,
        reason=o.competitor_reason,
        note=o.competitor_note if words else None,
    )
    return OrderOut(
        id=o.id,
        customer_id=o.customer_id,
        rep_staff_id=o.rep_staff_id,
        deal_id=o.deal_id,
        visit_id=o.visit_id,
        status=o.status,
        lines=[OrderLineOut.model_validate(line) for line in o.lines],
        total_fen=o.total_fen,
        competitor=competitor,
        created_at=o.created_at,
        confirmed_at=o.confirmed_at,
        cancelled_at=o.cancelled_at,
    )


def _competitor(c: CompetitorIn | None) -> orders.Competitor | None:
    if c is None:
        return None
    return orders.Competitor(c.name, c.product, c.unit_price, c.reason, c.note)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def take_order(body: OrderIn, session: WriteSessionDep, scope: ScopeDep) -> OrderOut:
    """An order intent for a customer in scope, taken by the caller; the deal and the
    visit, when named, must be in scope and the customer's (422). Total = Σ qty × price."""
    lines = tuple(orders.OrderLine(x.sku, x.name, x.qty, x.unit_price) for x in body.lines)
    draft = orders.OrderDraft(body.customer_id, lines, body.deal_id, body.visit_id,
                              _competitor(body.competitor) or orders.Competitor())  # fmt: skip
    return order_out(scope, orders.take_order(session, scope, draft, datetime.now(UTC)))


@router.get("")
def list_orders(
    session: SessionDep,
    scope: ScopeDep,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    customer_id: RefQuery = None,
    deal_id: RefQuery = None,
    rep_staff_id: RefQuery = None,
    after: After = None,
    limit: Limit = DEFAULT_LIMIT,
) -> OrderPage:
    """Orders in scope, oldest first, a page at a time (`after`: the previous `next`)."""
    where = orders.OrderFilter(order_status, customer_id, deal_id, rep_staff_id)
    page = orders.list_orders(session, scope, where, after, limit)
    return OrderPage(orders=[order_out(scope, o) for o in page.rows], next=page.next_cursor)


@router.get("/{order_id}", responses=READ_ERRORS)
def get_order(order_id: OrderIdPath, session: SessionDep, scope: ScopeDep) -> OrderOut:
    return order_out(scope, orders.get_order(session, scope, order_id))


@router.post("/{order_id}/transitions", responses=_STEP_ERRORS)
def transition(
    order_id: OrderIdPath, body: OrderTransitionIn, session: WriteSessionDep, scope: ScopeDep
) -> OrderOut:
    """intent → confirmed or cancelled (409 from any other status); the competitor
    feedback, when sent, replaces the order's."""
    now = datetime.now(UTC)
    found = orders.transition(session, scope, order_id, body.to, _competitor(body.competitor), now)
    return order_out(scope, found)
