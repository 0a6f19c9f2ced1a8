"""Every write of the organisation goes to the audit log, in the write's transaction."""

from typing import Any

from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.org.snapshots import snapshot
from hub.db.models import Region, Staff, Store

ENTITIES: dict[type, str] = {Region: "region", Store: "store", Staff: "staff"}


def record_write(
    session: Session,
    scope: Scope,
    action: str,
    record: Region | Store | Staff,
    before: dict[str, Any] | None,
) -> None:
    """Audit `action` (create, update, leave, shift) on `record`, flushed: a create with
    the whole record after; a change with only the fields that differ, before and after.
    A change that changed nothing leaves no entry."""
    after = snapshot(record)
    if before is not None:
        before, after = audit.changed(before, after)
        if not after:
            return
    entity = ENTITIES[type(record)]
    audit.record(session, scope, action, entity, record.id, before=before, after=after)
