"""Who may call the API: staff logins, their refresh tokens, integrations' API keys and the
failed-login counters. Secrets are stored only as hashes (docs/security.md)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import UtcDateTime


class Credential(Base):
    """A staff member's login: one per staff record. The tenant is the staff record's."""

    __tablename__ = "staff_credentials"

    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    login: Mapped[str] = mapped_column(String(200), unique=True)  # lower case
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, PHC string
    password_set_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Access tokens carry the epoch they were issued in; a new password (or leaving) bumps
    # it, so every token issued before is refused at its next request.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class LoginThrottle(Base):
    """Failed logins per login name, known or not, so a lock says nothing about whether the
    user exists. `tenant_id` is unknown for names nobody has; a success deletes the row."""

    __tablename__ = "login_throttle"

    login: Mapped[str] = mapped_column(String(200), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class RefreshToken(Base):
    """One refresh token of a login's family. Rotation retires it (`used_at`) and issues the
    next one in the same family; presenting a retired one revokes the whole family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    authenticated_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the family's login
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class ApiKey(Base):
    """An integration's key: its grants (e.g. `leads:write`) are all it may do."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    hint: Mapped[str] = mapped_column(String(16))  # the key's first characters, to tell keys apart
    grants: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_by: Mapped[str] = mapped_column(String(200))  # a Scope.subject
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
