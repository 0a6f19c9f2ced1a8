"""Lists of regions, stores and staff, a page at a time in id order (keyset: `after` is the
last id of the previous page), so a page is one index range scan however far in."""

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hub.crm.customer_view import Page

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


def id_page(
    session: Session,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[Any],
    after: str | None,
    limit: int,
) -> Page[T]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be within 1..{MAX_LIMIT}, got {limit}")
    if after is not None:
        stmt = stmt.where(id_column > after)
    rows: list[T] = list(session.scalars(stmt.order_by(id_column).limit(limit + 1)))
    if len(rows) <= limit:
        return Page(rows, None)
    return Page(rows[:limit], str(getattr(rows[limit - 1], id_column.key)))
