"""Refresh tokens: opaque, random (256 bits), stored as sha256, single use.

A login starts a family. Each refresh retires the token it was given and issues the next
one of the family; a retired token presented again means it was copied, so the whole
family is revoked (the thief's and the owner's next refresh both fail). Logout revokes the
family too. A family ends `session_max` after its login however often it is refreshed.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import session_audit
from hub.auth.policy import AuthPolicy
from hub.db.models import RefreshToken, Staff

TOKEN_PREFIX = "sprt_"


class Refused(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REUSED = "reused"  # a retired token again: the family is revoked now


@dataclass(frozen=True)
class Issued:
    token: str  # shown to the client once, never stored
    row: RefreshToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session,
    policy: AuthPolicy,
    staff: Staff,
    now: datetime,
    *,
    family_id: str | None = None,
    authenticated_at: datetime | None = None,
) -> Issued:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    since = authenticated_at or now
    row = RefreshToken(
        id=uuid7().hex,
        tenant_id=staff.tenant_id,
        staff_id=staff.id,
        family_id=family_id or uuid7().hex,
        token_hash=token_hash(token),
        authenticated_at=since,
        issued_at=now,
        expires_at=min(now + policy.refresh_ttl, since + policy.session_max),
    )
    session.add(row)
    session.flush()
    return Issued(token, row)


def claim(session: Session, token: str, now: datetime) -> RefreshToken | Refused:
    """The live token `token` names, locked and retired, or why not. A retired one revokes
    its family (the caller commits that too)."""
    row = session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)).with_for_update()
    )
    if row is None:
        return Refused.UNKNOWN
    if row.revoked_at is not None:
        return Refused.REVOKED
    if row.used_at is not None:
        revoke_family(session, row.family_id, now)
        session_audit.family_revoked_on_reuse(session, row, now)
        return Refused.REUSED
    if row.expires_at <= now:
        return Refused.EXPIRED
    row.used_at = now
    return row


def find(session: Session, token: str) -> RefreshToken | None:
    return session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))


def revoke_family(session: Session, family_id: str, now: datetime) -> int:
    return _revoke(session, RefreshToken.family_id == family_id, now)


def revoke_staff(session: Session, staff_id: str, now: datetime) -> int:
    """End every session of a staff member (they left, or their password was reset)."""
    return _revoke(session, RefreshToken.staff_id == staff_id, now)


def _revoke(session: Session, where: object, now: datetime) -> int:
    result = session.execute(
        update(RefreshToken)
        .where(where, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
