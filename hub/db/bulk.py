"""Many rows in one round trip, inside the session's transaction: COPY, and psycopg SQL on
the session's own connection. Ingest writes hundreds of rows per batch into a few tables;
one statement per table is what keeps it fast."""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import JSON, Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: list[Sequence[Any]]
) -> None:
    """COPY `rows` (tuples in `columns` order) into `table` on the session's own connection,
    so they commit or roll back with it. PostgreSQL only; JSON columns take JSON text."""
    if not rows:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with _driver_cursor(session, statement, None) as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def driver_execute(
    session: Session, statement: str, params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """Run psycopg SQL (`%(name)s` text, `%(name)b` binary parameters) on the session's own
    connection and return its rows. For the ingest hot path, where SQLAlchemy's statement
    and result handling cost more than the statement itself."""
    with _driver_cursor(session, statement, params) as cursor:
        cursor.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []


@contextmanager
def _driver_cursor(
    session: Session, statement: str, params: dict[str, Any] | None
) -> Iterator[psycopg.Cursor[Any]]:
    """A psycopg cursor on the session's connection (its transaction). Errors are mapped to
    SQLAlchemy's IntegrityError / DataError / ... as execute() would: we are past it here."""
    driver = session.connection().connection.driver_connection
    dbapi: psycopg.Connection[Any] = driver  # type: ignore[assignment]
    try:
        with dbapi.cursor() as cursor:
            yield cursor
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, params, exc, psycopg.Error) from exc


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (every dict with the same keys) without ORM objects."""
    if not rows:
        return
    columns = list(rows[0])
    copy_rows(session, table.name, columns, _copy_tuples(table, columns, rows))


def _copy_tuples(table: Table, columns: list[str], rows: list[dict[str, Any]]) -> list[Any]:
    # COPY takes JSON documents as text; only the JSON columns need converting.
    documents = {c for c in columns if isinstance(table.c[c].type, JSON)}
    if documents:
        return [[json.dumps(r[c]) if c in documents else r[c] for c in columns] for r in rows]
    if len(columns) == 1:
        return [(r[columns[0]],) for r in rows]
    return list(map(itemgetter(*columns), rows))
