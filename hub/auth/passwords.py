"""Staff passwords: argon2id (argon2-cffi's PasswordHasher, RFC 9106's low-memory profile).

Each verification takes about 64 MiB and tens of milliseconds of one core, so at most
`_PARALLEL` run at once: a burst of logins queues instead of exhausting the hub's memory.
"""

import os
import secrets
import threading
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 would take more, but a 1 MB "password" is only a way to burn CPU
_PARALLEL = threading.BoundedSemaphore(max(1, min(4, os.cpu_count() or 1)))


class WeakPassword(ValueError):
    pass


@dataclass(frozen=True)
class Checked:
    ok: bool
    new_hash: str | None = None  # set when the stored hash uses older parameters


def hasher() -> PasswordHasher:
    return _hasher()


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str, ph: PasswordHasher | None = None) -> str:
    check_strength(password)
    with _PARALLEL:
        return (ph or hasher()).hash(password)


def verify(stored_hash: str | None, password: str) -> Checked:
    """Check `password`; with no stored hash (unknown user) a dummy hash is checked instead,
    so both answers take about as long."""
    ph = hasher()
    if len(password) > MAX_LENGTH:  # no stored password is this long: check a short one
        stored_hash, password = None, password[:MAX_LENGTH]
    with _PARALLEL:
        if stored_hash is None:
            _verify_quietly(ph, _dummy_hash(), password)
            return Checked(ok=False)
        if not _verify_quietly(ph, stored_hash, password):
            return Checked(ok=False)
        if ph.check_needs_rehash(stored_hash):
            return Checked(ok=True, new_hash=ph.hash(password))
    return Checked(ok=True)


def _verify_quietly(ph: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return ph.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))
