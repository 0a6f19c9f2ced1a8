"""Read side of the customer 360 view: the customer, identities, and a page each of
purchases (with items) and touchpoints, newest first.

Purchases and touchpoints are paged by keyset on (at, id): a heavy customer (a store's
walk-in account, a regular over years) has thousands of rows, and reading them all made
the view take hundreds of milliseconds. Each page is one indexed range scan
(`ix_purchases_customer_at`, `ix_touchpoints_customer_at`: customer_id, at, id). Three
statements in all for a 360: customer with identities (one join), purchases with items
(one join over the limited purchases), touchpoints.

Every read takes the caller's scope and applies it in SQL (hub.crm.customer_scope): a
customer out of scope is NotFound, and only the rows the scope reaches are read.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from hub.auth.masking import Shown, shown_to
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope, rows_in_scope
from hub.db.models import Customer, Purchase, Touchpoint
from hub.errors import NotFound

DEFAULT_LIMIT = 20
MAX_LIMIT = 200

Row = TypeVar("Row", Purchase, Touchpoint)
T = TypeVar("T")


class BadCursor(ValueError):
    """A page cursor that this module did not make."""


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: Sequence[T]
    next_cursor: str | None  # pass as `before` for the next (older) page; None: no more


@dataclass(frozen=True)
class CustomerView:
    customer: Customer  # identities loaded
    purchases: Page[Purchase]  # items loaded
    touchpoints: Page[Touchpoint]
    shown: Shown  # what the caller's role may see of it (hub.crm.customer_shown applies it)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MICROS = (datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_MAX_ID = 2**31 - 1  # the id columns are INTEGER


def encode_cursor(at: datetime, row_id: int) -> str:
    """Microseconds since the epoch and the row id: digits only, URL-safe, zone-free."""
    return f"{(at - _EPOCH) // timedelta(microseconds=1)}.{row_id}"


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (at, id) of a cursor. Values past what a column holds are clamped, which keeps
    their meaning ("older than that"): a well-formed cursor never fails."""
    try:
        micros, row_id = (int(part) for part in cursor.split(".", 1))
    except ValueError as exc:
        raise BadCursor(f"bad page cursor {cursor!r}") from exc
    micros = min(max(micros, 0), _MAX_MICROS)
    at = _EPOCH + timedelta(microseconds=micros)
    return at, min(max(row_id, 0), _MAX_ID)


def customer_360(
    session: Session, scope: Scope, customer_id: str, limit: int = DEFAULT_LIMIT
) -> CustomerView:
    """The newest `limit` purchases and touchpoints of a customer in scope; NotFound if the
    customer is unknown or out of scope, Forbidden for a role that sees no customers."""
    shown = shown_to(scope.role)
    customer = scoped_customer(session, scope, customer_id, with_identities=True)
    return CustomerView(
        customer=customer,
        purchases=purchases_page(session, scope, customer, limit),
        touchpoints=touchpoints_page(session, scope, customer, limit),
        shown=shown,
    )


def scoped_customer(
    session: Session, scope: Scope, customer_id: str, with_identities: bool = False
) -> Customer:
    """The customer if `scope` reaches them, else NotFound (as if they did not exist)."""
    shown_to(scope.role)
    stmt = select(Customer).where(Customer.id == customer_id, customer_in_scope(scope))
    if with_identities:
        stmt = stmt.options(joinedload(Customer.identities))
    customer = session.scalars(stmt).unique().first()
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    return customer


def purchases_page(
    session: Session,
    scope: Scope,
    customer: Customer,
    limit: int = DEFAULT_LIMIT,
    before: str | None = None,
) -> Page[Purchase]:
    """Purchases with items in scope, newest first, older than the `before` cursor if given."""
    rows = rows_in_scope(scope, customer, Purchase.store_id)
    return _page(session, Purchase, customer.id, rows, limit, before, joinedload(Purchase.items))


def touchpoints_page(
    session: Session,
    scope: Scope,
    customer: Customer,
    limit: int = DEFAULT_LIMIT,
    before: str | None = None,
) -> Page[Touchpoint]:
    rows = rows_in_scope(scope, customer, Touchpoint.store_id)
    return _page(session, Touchpoint, customer.id, rows, limit, before, None)


def _page(
    session: Session,
    model: type[Row],
    customer_id: str,
    in_scope: Any,
    limit: int,
    before: str | None,
    option: Any,
) -> Page[Row]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be within 1..{MAX_LIMIT}, got {limit}")
    stmt = select(model).where(model.customer_id == customer_id, in_scope)
    if before is not None:
        at, row_id = decode_cursor(before)
        stmt = stmt.where(or_(model.at < at, and_(model.at == at, model.id < row_id)))
    # One row more than asked says whether an older page exists.
    stmt = stmt.order_by(model.at.desc(), model.id.desc()).limit(limit + 1)
    if option is not None:
        stmt = stmt.options(option)
    rows = list(session.scalars(stmt).unique())
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    return Page(rows[:limit], encode_cursor(last.at, last.id))
