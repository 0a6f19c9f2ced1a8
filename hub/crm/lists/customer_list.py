"""A page of customers: the caller's scope and the filters in one statement, in name order
(`lower(name) COLLATE "C"`, then id), keyset-paged (hub.crm.lists.cursor).

The order is the index `ix_customers_name_key` (tenant_id, name key, id): a page is one
range scan that stops after `limit + 1` rows, whatever page it is, and a name search
(a prefix of the name key) is the same scan narrowed. Each row carries the customer's
best open lead score and last in-store visit, both as far as the scope reaches. What
leaves is masked by role (hub.auth.masking), as the 360's profile is."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, select, tuple_
from sqlalchemy.orm import Session

from hub.auth.masking import Shown, shown_to
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope
from hub.crm.customer_shown import masked
from hub.crm.lists import cursor
from hub.crm.lists.filters import ListFilters, clauses, last_visit, name_key
from hub.crm.lists.stages import best_lead_score
from hub.db.models import Customer
from hub.errors import Forbidden

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


@dataclass(frozen=True)
class ListedCustomer:
    id: str
    name: str
    phone: str | None
    status: str
    home_store_id: str | None
    owner_staff_id: str | None
    tags: list[str]
    score: int | None  # best open lead score in scope; None: no lead
    last_visit_at: datetime | None  # newest in-store touchpoint in scope


@dataclass(frozen=True)
class CustomerPage:
    customers: list[ListedCustomer]
    next_cursor: str | None  # pass as `after` for the next page; None: the last page


def list_customers(
    session: Session,
    scope: Scope,
    filters: ListFilters,
    limit: int = DEFAULT_LIMIT,
    after: str | None = None,
) -> CustomerPage:
    """Customers in scope matching every filter, in name order, after the `after` cursor.
    Forbidden for a role shown no customers, and for a name search by a role shown only
    family names (a search would tell it the rest); BadCursor for a foreign cursor."""
    shown = shown_to(scope.role)
    if filters.q is not None and shown.name != "full":
        raise Forbidden("your role is shown family names only, so it cannot search by name")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be within 1..{MAX_LIMIT}, got {limit}")
    key = name_key().label("name_key")
    stmt = select(
        Customer,
        key,
        best_lead_score(scope).label("score"),
        last_visit(scope).label("last_visit_at"),
    ).where(customer_in_scope(scope), *clauses(scope, shown, filters))
    if after is not None:
        stmt = stmt.where(tuple_(name_key(), Customer.id) > tuple_(*cursor.decode(after)))
    rows = session.execute(stmt.order_by(name_key(), Customer.id).limit(limit + 1)).all()
    more = len(rows) > limit
    page = [_listed(r, shown) for r in rows[:limit]]
    last = rows[limit - 1] if more else None
    return CustomerPage(page, cursor.encode(last.name_key, last.Customer.id) if last else None)


def _listed(row: Row[Customer, str, int, datetime], shown: Shown) -> ListedCustomer:
    return ListedCustomer(
        **masked(row.Customer, shown), score=row.score, last_visit_at=row.last_visit_at
    )
