"""How long tokens live and when logins lock: built from the hub settings by the API."""

from dataclasses import dataclass
from datetime import timedelta

ISSUER = "storepulse-hub"
AUDIENCE = "storepulse-api"


@dataclass(frozen=True)
class AuthPolicy:
    signing_key: str = ""  # HS256 secret, hub/auth/signing_key.py
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=14)  # idle: each refresh starts it again
    session_max: timedelta = timedelta(days=30)  # from the login, however often refreshed
    max_failures: int = 5  # failed logins of one login name within `lock_for`...
    lock_for: timedelta = timedelta(minutes=15)  # ...lock it for this long
