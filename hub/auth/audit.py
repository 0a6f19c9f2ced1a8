"""The audit log: every write and every export, who, what, when, before and after.

Writers call `record` in the transaction of the write itself, so a change and its entry
commit or roll back together. The request id comes from `REQUEST_ID`, which hub/api sets
per request (and echoes as `X-Request-ID`); CLI writes leave it empty. The table is
append-only (migration 0009): nothing here updates or deletes, and the database refuses it.
"""

import enum
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from hub.auth.scope import Role, Scope
from hub.db.models import AuditEntry
from hub.errors import Forbidden

REQUEST_ID: ContextVar[str | None] = ContextVar("storepulse_request_id", default=None)
MAX_PAGE = 500


def record(
    session: Session,
    scope: Scope,
    action: str,
    entity: str,
    entity_id: str,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Append one entry. `before`/`after` hold what changed, never secrets or hashes."""
    session.add(
        AuditEntry(
            tenant_id=scope.tenant_id,
            at=now or datetime.now(UTC),
            actor=scope.subject,
            actor_role=scope.role.value,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_json(before),
            after=_json(after),
            request_id=REQUEST_ID.get(),
        )
    )


def row_values(row: object, leave_out: Iterable[str] = ()) -> dict[str, Any]:
    """A mapped row's columns as a JSON-ready mapping, for `before` and `after`."""
    skip = set(leave_out)
    mapper = inspect(row).mapper
    return {
        attr.key: _value(getattr(row, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in skip
    }


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, on both sides: what an update entry keeps."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None  # paging: entries older than this id
    limit: int = 50


def entries(session: Session, scope: Scope, query: AuditQuery) -> list[AuditEntry]:
    """The tenant's entries, newest first. Admins only: the log shows everyone's actions."""
    if scope.role is not Role.ADMIN:
        raise Forbidden("only admins read the audit log")
    stmt = select(AuditEntry).where(AuditEntry.tenant_id == scope.tenant_id)
    for column, value in (
        (AuditEntry.entity, query.entity),
        (AuditEntry.entity_id, query.entity_id),
        (AuditEntry.actor, query.actor),
        (AuditEntry.action, query.action),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if query.since is not None:
        stmt = stmt.where(AuditEntry.at >= query.since)
    if query.until is not None:
        stmt = stmt.where(AuditEntry.at < query.until)
    if query.before_id is not None:
        stmt = stmt.where(AuditEntry.id < query.before_id)
    limit = max(1, min(query.limit, MAX_PAGE))
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))


def _json(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {str(k): _value(v) for k, v in values.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return _value(value.value)
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    return value
