"""API keys for integrations: 256 random bits, shown once, stored as sha256 (a key is not
a password: it cannot be guessed, so a fast hash is enough and lookups stay one index
probe), revocable, with grants and no role."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.grants import unknown_grants
from hub.auth.scope import Scope
from hub.db.models import ApiKey
from hub.errors import NotFound, RejectedError

KEY_PREFIX = "spk_"


@dataclass(frozen=True)
class NewKey:
    key: str  # the only time it is seen
    row: ApiKey


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, scope: Scope, name: str, grants: list[str], now: datetime) -> NewKey:
    wanted = set(grants)
    if not wanted:
        raise RejectedError("no grants", "a key needs at least one grant")
    if bad := unknown_grants(wanted):
        raise RejectedError("unknown grants", ", ".join(bad))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=f"key-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        name=name,
        key_hash=_hash(key),
        hint=key[: len(KEY_PREFIX) + 4],
        grants=sorted(wanted),
        created_by=scope.subject,
        created_at=now,
    )
    session.add(row)
    session.flush()
    after = {"name": name, "grants": row.grants, "created_by": row.created_by}
    audit.record(session, scope, "create", "api_key", row.id, after=after, now=now)
    return NewKey(key, row)


def list_keys(session: Session, scope: Scope) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.tenant_id == scope.tenant_id).order_by(ApiKey.created_at)
        )
    )


def revoke(session: Session, scope: Scope, key_id: str, now: datetime) -> ApiKey:
    row = session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.tenant_id == scope.tenant_id)
    )
    if row is None:
        raise NotFound(f"api key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
        before, after = {"revoked_at": None}, {"revoked_at": now}
        audit.record(session, scope, "revoke", "api_key", key_id, before=before, after=after)
    return row


def live_key(session: Session, key: str) -> ApiKey | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == _hash(key), ApiKey.revoked_at.is_(None))
    )
