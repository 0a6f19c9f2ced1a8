"""Dialect-specific SQL of the session's database: INSERT with ON CONFLICT DO NOTHING, and
membership in a long list of values."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session


def insert_for(session: Session, table: Any) -> Any:
    """`postgresql.insert` or `sqlite.insert` of `table`, both with `on_conflict_do_nothing`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def one_of(session: Session, column: InstrumentedAttribute[Any], values: Sequence[Any]) -> Any:
    """`column IN values`. On PostgreSQL as `= ANY(array)`: one parameter, one statement text
    whatever the count (an IN list of thousands renders and plans thousands of parameters)."""
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        clause: ColumnElement[bool] = column == any_(array)
        return clause
    return column.in_(values)
