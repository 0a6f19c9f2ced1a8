"""An export from start to end: one REPEATABLE READ transaction, so the count that the
audit entry records is the count of rows the stream then sends; the entry is committed
(in its own transaction) before the first byte leaves, so an export is audited even when
the download is broken off."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.exports import tables
from hub.crm.exports.formats import csv_chunks, xlsx_chunks

Format = Literal["csv", "xlsx"]
Kind = Literal["customers", "leads"]
TABLES: dict[Kind, Callable[[Session, Scope], tables.Table]] = {
    "customers": tables.customers,
    "leads": tables.leads,
}
MEDIA_TYPES: dict[Format, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Download:
    rows: int
    chunks: Iterator[bytes]


def export(sessions: sessionmaker[Session], scope: Scope, kind: Kind, fmt: Format) -> Download:
    """Counts and audits at once (raising Forbidden for a role shown no customer data);
    the chunks read the same snapshot and close the session when they end."""
    session = sessions()
    try:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        table = TABLES[kind](session, scope)
        with sessions.begin() as writing:
            after = {"format": fmt, "rows": table.count}
            audit.record(writing, scope, "export", kind, f"export-{fmt}", after=after)
    except BaseException:
        session.close()
        raise
    return Download(table.count, _closing(session, _chunks(table, kind, fmt)))


def _chunks(table: tables.Table, kind: Kind, fmt: Format) -> Iterator[bytes]:
    if fmt == "csv":
        return csv_chunks(table.header, table.rows)
    return xlsx_chunks(table.header, table.rows, kind)


def _closing(session: Session, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        session.close()
