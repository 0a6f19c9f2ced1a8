"""Clerks who may sign in on a paired device: `[[store_page.clerks]]` in the gateway config,
each a staff id, a name to show, and the scrypt hash of their PIN.

`storepulse edge hash-pin` makes the hash line; the PIN itself is never written anywhere.
scrypt (hashlib, no extra dependency) with n=2^14, r=8: about 16 MiB and a few tens of
milliseconds per check, and a PIN gets `PIN_FAILURE_LIMIT` tries per device before a lock
(registry.py), so even a 4-digit PIN is not guessed at the counter; the config file is
the gateway's own (0600) so its hashes are not handed out.
"""

import base64
import hashlib
import hmac
import secrets

from pydantic import BaseModel, ConfigDict, Field, field_validator

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
PIN_PATTERN = r"^[0-9]{4,12}$"
STAFF_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024)


def hash_pin(pin: str) -> str:
    """'scrypt$16384$8$1$<salt>$<hash>' (base64), for `pin_hash` in the config."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _parts(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, digest = encoded.split("$")
    if scheme != "scrypt":
        raise ValueError("not an scrypt hash")
    return int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest)


def verify_pin(pin: str, encoded: str) -> bool:
    n, r, p, salt, digest = _parts(encoded)
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p), digest)


class ClerkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    staff_id: str = Field(pattern=STAFF_ID_PATTERN, description="goes into prompt.acted")
    name: str = Field(min_length=1, max_length=60, description="shown on the sign-in list")
    pin_hash: str = Field(description="from `storepulse edge hash-pin`")

    @field_validator("pin_hash")
    @classmethod
    def _an_scrypt_hash(cls, encoded: str) -> str:
        try:
            n, r, _p, salt, digest = _parts(encoded)
        except ValueError as exc:
            raise ValueError(
                "pin_hash must be the line `storepulse edge hash-pin` prints (scrypt$...)"
            ) from exc
        if n < 2**14 or r < 8 or len(salt) < 16 or len(digest) < 32:
            raise ValueError("pin_hash is weaker than `storepulse edge hash-pin` makes")
        return encoded
