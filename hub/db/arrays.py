"""Membership in a long list of values as `= ANY(array)`: one parameter and one statement
text whatever the count (an IN list of thousands renders and plans thousands of them)."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute


def any_of(column: InstrumentedAttribute[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
    clause: ColumnElement[bool] = column == any_(array)
    return clause
