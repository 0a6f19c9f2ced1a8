"""Audit entries of logins and sessions (hub.auth.audit, in the caller's transaction).

Who is in the entry: the staff member for a login, a logout or their sessions ended; for a
failed login, `login:<name>` with the tenant and role of the login tried (a name nobody
has has no tenant, so no entry: it is counted in login_throttle only); for a reused
refresh token, `refresh_token:<id>`, since whoever presented it may not be its owner.
Never a password, token or hash.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.db.models import RefreshToken, Staff

FAMILY = "refresh_token_family"


def acting_for(session: Session, staff_id: str, subject: str | None = None) -> Scope | None:
    """A scope for the entry of something done as (or claiming to be) this staff member."""
    row = session.execute(select(Staff.tenant_id, Staff.role).where(Staff.id == staff_id)).first()
    if row is None:
        return None
    return Scope(tenant_id=row[0], role=Role(row[1]), subject=subject or f"staff:{staff_id}")


def logged_in(session: Session, scope: Scope, now: datetime) -> None:
    audit.record(session, scope, "login", "staff", scope.staff_id or "", now=now)


def login_failed(
    session: Session, staff_id: str, login: str, locked_until: datetime | None, now: datetime
) -> None:
    scope = acting_for(session, staff_id, f"login:{login}")
    if scope is not None:
        after: dict[str, Any] | None = {"locked_until": locked_until} if locked_until else None
        audit.record(session, scope, "login_failed", "login", login, after=after, now=now)


def logged_out(session: Session, token: RefreshToken, now: datetime) -> None:
    scope = acting_for(session, token.staff_id)
    if scope is not None:
        audit.record(session, scope, "logout", FAMILY, token.family_id, now=now)


def family_revoked_on_reuse(session: Session, token: RefreshToken, now: datetime) -> None:
    scope = acting_for(session, token.staff_id, f"refresh_token:{token.id}")
    if scope is not None:
        after = {"reason": "a retired refresh token was presented again"}
        audit.record(session, scope, "revoke", FAMILY, token.family_id, after=after, now=now)
