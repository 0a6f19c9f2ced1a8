"""Setting and removing a staff member's login. A new password ends every session the
old one started (refresh tokens revoked; access tokens of the old session epoch refused)."""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import audit, refresh_tokens
from hub.auth.login import normal_login
from hub.auth.passwords import hash_password
from hub.auth.scope import Scope
from hub.db.models import Credential, Staff
from hub.errors import NotFound, RejectedError

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._@-]{0,199}")


class LoginTaken(RejectedError):
    pass


def set_password(
    session: Session, scope: Scope, staff_id: str, login: str, password: str, now: datetime
) -> Credential:
    """Give a staff member of the caller's tenant a login, or a new password. Raises
    NotFound (no such staff member in the tenant), LoginTaken, WeakPassword."""
    staff = session.scalar(
        select(Staff).where(Staff.id == staff_id, Staff.tenant_id == scope.tenant_id)
    )
    if staff is None:
        raise NotFound(f"staff {staff_id}")
    name = normal_login(login)
    if not LOGIN_PATTERN.fullmatch(name):
        raise RejectedError("bad login", "letters, digits and . _ @ - only")
    holder = session.scalar(select(Credential.staff_id).where(Credential.login == name))
    if holder is not None and holder != staff_id:
        raise LoginTaken("login taken", name)
    password_hash = hash_password(password)
    credential = session.get(Credential, staff_id)
    before = None if credential is None else {"login": credential.login}
    if credential is None:
        credential = Credential(staff_id=staff_id, tenant_id=staff.tenant_id, session_epoch=0)
        session.add(credential)
    credential.login = name
    credential.password_hash = password_hash
    credential.password_set_at = now
    credential.session_epoch = (credential.session_epoch or 0) + 1
    ended = refresh_tokens.revoke_staff(session, staff_id, now)
    session.flush()
    after = {"login": name, "password_set_at": now, "refresh_tokens_revoked": ended}
    action = "create" if before is None else "update"
    audit.record(session, scope, action, "staff_login", staff_id, before=before, after=after)
    return credential


def end_sessions(session: Session, scope: Scope, staff_id: str, now: datetime) -> None:
    """For the org side when someone leaves: refresh tokens die at once (access tokens die
    anyway, each request reads the staff row)."""
    ended = refresh_tokens.revoke_staff(session, staff_id, now)
    credential = session.get(Credential, staff_id)
    if credential is not None:
        credential.session_epoch += 1
    after = {"refresh_tokens_revoked": ended}
    audit.record(session, scope, "revoke", "staff_sessions", staff_id, after=after, now=now)
