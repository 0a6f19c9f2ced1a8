"""Orders a rep takes in the field: an intent, then confirmed or cancelled (final). An
order may name a deal and a visit; both must be the order's customer's and in the caller's
scope. Lines are sku, name, qty and unit price in fen; the total is computed here. The
competitor feedback is fields of the order (who, which product, their unit price, why we
won or lost from a fixed list, a note), set at creation and again at a transition. Every
write is audited, free text left out."""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities.scoping import of_reached_customers, reached_customer, writer
from hub.crm.customer_view import Page
from hub.crm.field_sales.scoping import rows_in_scope
from hub.crm.funnel.deal_scope import deal_in_scope
from hub.crm.org.paging import id_page
from hub.db.models import Deal, SalesOrder, Visit
from hub.errors import Conflict, NotFound, Unprocessable

Reason = Literal["price", "efficacy", "relationship", "availability", "other"]
Target = Literal["confirmed", "cancelled"]


@dataclass(frozen=True)
class OrderLine:
    sku: str
    name: str
    qty: int
    unit_price: int  # fen


@dataclass(frozen=True)
class Competitor:
    name: str = ""
    product: str = ""
    unit_price: int | None = None  # fen
    reason: Reason | None = None
    note: str = ""


@dataclass(frozen=True)
class OrderDraft:
    customer_id: str
    lines: tuple[OrderLine, ...]
    deal_id: str | None = None
    visit_id: str | None = None
    competitor: Competitor = Competitor()


def _check_links(session: Session, scope: Scope, draft: OrderDraft) -> None:
    """The deal and the visit, when named: in scope (422 otherwise: the order is not the
    missing record) and the customer's."""
    links = (
        ("deal_id", draft.deal_id, Deal, deal_in_scope(scope)),
        ("visit_id", draft.visit_id, Visit, of_reached_customers(scope, Visit.customer_id)),
    )
    for field, ref, table, clause in links:
        if ref is None:
            continue
        owner = session.scalar(
            select(table.customer_id).where(table.id == ref, table.tenant_id == scope.tenant_id)
            .where(clause)
        )  # fmt: skip
        if owner is None:
            raise Unprocessable((["body", field], f"no {field[:-3]} {ref} in your scope"))
        if owner != draft.customer_id:
            raise Unprocessable((["body", field], f"{ref} is another customer's"))


def _set_competitor(order: SalesOrder, c: Competitor) -> None:
    order.competitor_name, order.competitor_product = c.name, c.product
    order.competitor_unit_price_fen, order.competitor_reason = c.unit_price, c.reason
    order.competitor_note = c.note


def trail(order: SalesOrder) -> dict[str, object]:
    values = audit.row_values(order)
    values.pop("competitor_note", None)
    return values


def take_order(session: Session, scope: Scope, draft: OrderDraft, now: datetime) -> SalesOrder:
    customer = reached_customer(session, scope, draft.customer_id)
    draft = replace(draft, customer_id=customer.id)
    _check_links(session, scope, draft)
    order = SalesOrder(
        id=f"ord-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        rep_staff_id=scope.staff_id,
        deal_id=draft.deal_id,
        visit_id=draft.visit_id,
        status="intent",
        lines=[vars(line) for line in draft.lines],
        total_fen=sum(line.qty * line.unit_price for line in draft.lines),
        created_at=now,
    )
    _set_competitor(order, draft.competitor)
    session.add(order)
    session.flush()
    audit.record(session, scope, "create", "sales_order", order.id, after=trail(order), now=now)
    return order


def get_order(session: Session, scope: Scope, order_id: str, lock: bool = False) -> SalesOrder:
    writer(scope)
    stmt = select(SalesOrder).where(SalesOrder.id == order_id, rows_in_scope(scope, SalesOrder))
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"order {order_id}")
    return found


def transition(
    session: Session, scope: Scope, order_id: str, to: Target, competitor: Competitor | None,
    now: datetime,
) -> SalesOrder:  # fmt: skip
    """intent → confirmed or cancelled; anything else is 409."""
    order = get_order(session, scope, order_id, lock=True)
    if order.status != "intent":
        raise Conflict(f"order {order_id} is {order.status}: only an intent moves")
    before = trail(order)
    order.status = to
    if to == "confirmed":
        order.confirmed_at = now
    else:
        order.cancelled_at = now
    if competitor is not None:
        _set_competitor(order, competitor)
    session.flush()
    old, new = audit.changed(before, trail(order))
    action = "confirm" if to == "confirmed" else "cancel"
    audit.record(session, scope, action, "sales_order", order.id, before=old, after=new, now=now)
    return order


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    customer_id: str | None = None
    deal_id: str | None = None
    rep_staff_id: str | None = None


def list_orders(
    session: Session, scope: Scope, where: OrderFilter, after: str | None, limit: int
) -> Page[SalesOrder]:
    writer(scope)
    stmt = select(SalesOrder).where(rows_in_scope(scope, SalesOrder))
    for column, value in (
        (SalesOrder.status, where.status),
        (SalesOrder.customer_id, where.customer_id),
        (SalesOrder.deal_id, where.deal_id),
        (SalesOrder.rep_staff_id, where.rep_staff_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    return id_page(session, stmt, SalesOrder.id, after, limit)
