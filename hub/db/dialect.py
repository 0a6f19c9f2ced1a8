"""The dialect-specific INSERT (for ON CONFLICT DO NOTHING) of the session's database."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """`postgresql.insert` or `sqlite.insert` of `table`, both with `on_conflict_do_nothing`."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
