"""Retiring a tenant's record (an offer, a custom field): it stays, for what refers to it,
but is no longer live. Found within the caller's tenant (404 otherwise), stamped once,
audited once; retiring it again changes nothing."""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.errors import NotFound


class Retirable(Protocol):
    id: str
    tenant_id: str
    retired_at: datetime | None


R = TypeVar("R", bound=Retirable)


def retire(
    session: Session,
    scope: Scope,
    model: type[R],
    record_id: str,
    *,
    noun: str,
    shown: Callable[[R], Mapping[str, Any]] | None = None,
) -> tuple[R, datetime | None]:
    """The record and the moment it was retired by this call (None: it was already)."""
    record = session.get(model, record_id)
    if record is None or record.tenant_id != scope.tenant_id:
        raise NotFound(f"no such {noun.replace('_', ' ')}")
    if record.retired_at is not None:
        return record, None
    now = datetime.now(UTC)
    record.retired_at = now
    session.flush()
    audit.record(session, scope, "retire", noun, record.id, before=shown(record) if shown else None)
    return record, now


def of_tenant(model: type[R], tenant_id: str, *, live_only: bool = True) -> Select[Any]:
    """The tenant's records, live ones only unless asked."""
    columns = cast(Any, model)  # the mapped class: its columns, which the Protocol cannot name
    stmt = select(model).where(columns.tenant_id == tenant_id)
    if live_only:
        stmt = stmt.where(columns.retired_at.is_(None))
    return stmt
