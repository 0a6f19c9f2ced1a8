"""Staff login and token refresh: the service functions behind POST /auth/token, /refresh
and /logout. `login` runs its own transactions; the others run in the caller's, which
commits whatever the outcome (a refusal writes too: a revoked family, the audit log)."""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.auth import access_tokens, refresh_tokens, session_audit, throttle
from hub.auth.passwords import verify
from hub.auth.policy import AuthPolicy
from hub.auth.principals import scope_of
from hub.auth.scope import Scope
from hub.db.models import STAFF_ACTIVE, Credential, Staff


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    refresh_expires_at: datetime
    scope: Scope


@dataclass(frozen=True)
class Refusal:
    """Why no tokens: `locked_until` set means 429, else 401. Neither says whether the
    login exists."""

    locked_until: datetime | None = None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normal_login(login: str) -> str:
    """Stored and looked up in lower case. Control characters, which no login has (and a
    NUL PostgreSQL refuses in text), become U+FFFD: such a name is simply nobody's, and
    refused like any other unknown name."""
    return _CONTROL.sub("\ufffd", login.strip().lower())


def login(
    sessions: sessionmaker[Session],
    policy: AuthPolicy,
    login_name: str,
    password: str,
    now: datetime,
) -> TokenPair | Refusal:
    """Its own transactions: the hash is checked with no connection held (a few hundred
    ms), so a burst of logins cannot take the pool from the rest of the API."""
    name = normal_login(login_name)[:200]
    with sessions() as session:
        locked = throttle.locked_until(session, name, now)
        if locked is not None:
            return Refusal(locked_until=locked)
        found = session.execute(
            select(Credential.password_hash, Staff.id, Staff.tenant_id)
            .join(Staff, Staff.id == Credential.staff_id)
            .where(Credential.login == name)
        ).first()
    stored_hash, staff_id, tenant_id = found if found is not None else (None, None, None)
    checked = verify(stored_hash, password)  # a dummy hash for nobody: the same time
    with sessions.begin() as session:
        row = _still_active(session, staff_id, stored_hash) if checked.ok else None
        if row is None:  # wrong password, nobody, left, or the password changed meanwhile
            until = throttle.record_failure(session, policy, name, tenant_id, now)
            throttle.prune(session, policy, now)
            if staff_id is not None:
                session_audit.login_failed(session, staff_id, name, until, now)
            return Refusal(locked_until=until)
        credential, staff = row
        throttle.clear(session, name)
        if checked.new_hash is not None:  # the hasher's parameters changed since it was set
            credential.password_hash = checked.new_hash
        credential.last_login_at = now
        pair = _pair(session, policy, staff, credential.session_epoch, now, None, now)
        session_audit.logged_in(session, pair.scope, now)
        return pair


def _still_active(
    session: Session, staff_id: str | None, checked_hash: str | None
) -> tuple[Credential, Staff] | None:
    """The login just checked, locked, unless it left or changed password meanwhile."""
    found = session.execute(
        select(Credential, Staff)
        .join(Staff, Staff.id == Credential.staff_id)
        .where(Credential.staff_id == staff_id, Staff.status == STAFF_ACTIVE)
        .with_for_update(of=Credential)
    ).first()
    if found is None or found[0].password_hash != checked_hash:
        return None
    return found[0], found[1]


def refresh(
    session: Session, policy: AuthPolicy, token: str, now: datetime
) -> TokenPair | refresh_tokens.Refused:
    """A new pair for a live refresh token, which is retired. A staff member who left, or
    lost their login, gets nothing."""
    claimed = refresh_tokens.claim(session, token, now)
    if isinstance(claimed, refresh_tokens.Refused):
        return claimed
    found = session.execute(
        select(Staff, Credential.session_epoch)
        .join(Credential, Credential.staff_id == Staff.id)
        .where(Staff.id == claimed.staff_id, Staff.status == STAFF_ACTIVE)
    ).first()
    if found is None:
        refresh_tokens.revoke_family(session, claimed.family_id, now)
        return refresh_tokens.Refused.REVOKED
    staff, epoch = found
    return _pair(session, policy, staff, epoch, now, claimed.family_id, claimed.authenticated_at)


def _pair(
    session: Session,
    policy: AuthPolicy,
    staff: Staff,
    epoch: int,
    now: datetime,
    family_id: str | None,
    authenticated_at: datetime,
) -> TokenPair:
    issued = refresh_tokens.issue(
        session, policy, staff, now, family_id=family_id, authenticated_at=authenticated_at
    )
    access = access_tokens.issue(policy, staff.id, staff.tenant_id, staff.role, epoch, now)
    return TokenPair(
        access_token=access,
        refresh_token=issued.token,
        expires_in=int(policy.access_ttl.total_seconds()),
        refresh_expires_at=issued.row.expires_at,
        scope=scope_of(session, staff),
    )


def logout(session: Session, token: str, now: datetime) -> str | None:
    """Revoke the family of `token`; its staff id, or None for a token nobody has."""
    row = refresh_tokens.find(session, token)
    if row is None:
        return None
    if refresh_tokens.revoke_family(session, row.family_id, now):
        session_audit.logged_out(session, row, now)
    return row.staff_id
