"""A customer's timeline: one stream, newest first, of everything that happened with them,
merged in SQL from registered sources (timeline_sources.py), paged by keyset.

A source is a function from (scope, customer, what the role is shown) to a SELECT of five
columns: `at`, `source`, `id` (text), `title`, `store_id`. The timeline is the UNION ALL
of every registered source, ordered by (at, source, id) descending; a page's cursor is
the position of its last row, `<microseconds since 1970>.<source>.<id>`. Any string of that
shape is a position (the rows after it are the page), so the schema's pattern is exactly
what is accepted. A new source (say the funnel's deal stage changes) is one `register`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, String, literal, select, tuple_, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Label

from hub.auth.masking import Shown, shown_to
from hub.auth.scope import Scope
from hub.crm.activities.scoping import reached_customer
from hub.db.models import Customer

Row = Select[datetime, str, str, str, str | None]  # at, source, id, title, store_id
Source = Callable[[Scope, Customer, Shown], Row]
SOURCES: dict[str, Source] = {}
CURSOR_PATTERN = r"^[0-9]{1,16}\.[a-z_]{1,32}\.[^\x00-\x1f\x7f]{1,64}$"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def register(name: str) -> Callable[[Source], Source]:
    """Add a source under `name` (lower case and underscores: it is part of cursors)."""

    def add(source: Source) -> Source:
        SOURCES[name] = source
        return source

    return add


def label(name: str) -> Label[str]:
    """The `source` column of a source's SELECT."""
    return literal(name, String).collate("C").label("source")


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str
    id: str
    title: str
    store_id: str | None


@dataclass(frozen=True)
class TimelinePage:
    entries: list[Entry]
    next_cursor: str | None


def encode(entry: Entry) -> str:
    micros = (entry.at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{entry.source}.{entry.id}"


def decode(cursor: str) -> tuple[datetime, str, str]:
    """A cursor of CURSOR_PATTERN's shape as a position; the pattern is checked at the API."""
    micros, source, row_id = cursor.split(".", 2)
    return EPOCH + timedelta(microseconds=int(micros)), source, row_id


def timeline(
    session: Session, scope: Scope, customer_id: str, limit: int, before: str | None
) -> TimelinePage:
    shown = shown_to(scope.role)
    customer = reached_customer(session, scope, customer_id)
    merged = union_all(*(source(scope, customer, shown) for source in SOURCES.values()))
    rows = merged.subquery()
    stmt = select(rows.c.at, rows.c.source, rows.c.id, rows.c.title, rows.c.store_id)
    if before is not None:
        at, source, row_id = decode(before)
        stmt = stmt.where(tuple_(rows.c.at, rows.c.source, rows.c.id) < tuple_(at, source, row_id))
    order = (rows.c.at.desc(), rows.c.source.desc(), rows.c.id.desc())
    found = [Entry(*r) for r in session.execute(stmt.order_by(*order).limit(limit + 1))]
    more = len(found) > limit
    found = found[:limit]
    return TimelinePage(found, encode(found[-1]) if more else None)
