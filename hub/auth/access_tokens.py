"""Short-lived JWT access tokens (HS256). The claims say who; every request still reads the
staff row (hub/auth/principals.py), so someone who leaves is locked out at once."""

from dataclasses import dataclass
from datetime import datetime

import jwt
from uuid6 import uuid7

from hub.auth.policy import AUDIENCE, ISSUER, AuthPolicy

ALGORITHM = "HS256"
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti", "tid", "role", "sep"]
SUBJECT_PREFIX = "staff:"


class InvalidToken(Exception):
    """Expired, forged, for another audience, or malformed: all a 401."""


@dataclass(frozen=True)
class AccessClaims:
    staff_id: str
    tenant_id: str
    role: str
    epoch: int  # the login's session epoch when issued (Credential.session_epoch)
    jti: str


def issue(
    policy: AuthPolicy, staff_id: str, tenant_id: str, role: str, epoch: int, now: datetime
) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": SUBJECT_PREFIX + staff_id,
        "tid": tenant_id,
        "role": role,
        "sep": epoch,
        "jti": uuid7().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + policy.access_ttl).timestamp()),
    }
    return jwt.encode(claims, policy.signing_key, algorithm=ALGORITHM)


def decode(policy: AuthPolicy, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            policy.signing_key,
            algorithms=[ALGORITHM],  # never the token's own "alg" (no "none", no RS/HS mix-up)
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": _REQUIRED},
            leeway=5,
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    sub, tid, role, jti, sep = (claims.get(k) for k in ("sub", "tid", "role", "jti", "sep"))
    if not (isinstance(sub, str) and sub.startswith(SUBJECT_PREFIX)):
        raise InvalidToken("not a staff token")
    if not (isinstance(tid, str) and isinstance(role, str) and isinstance(jti, str)):
        raise InvalidToken("malformed claims")
    if not isinstance(sep, int):
        raise InvalidToken("malformed sep")
    return AccessClaims(sub.removeprefix(SUBJECT_PREFIX), tid, role, sep, jti)
