"""Pairing codes: 8 digits, valid `DEFAULT_CODE_MINUTES`, used once, guessed at a bounded rate.

Guessing: every wrong, expired or used code entered is recorded; once `FAILURE_LIMIT`
have been entered in the last `FAILURE_WINDOW_S`, every attempt is refused until the
window has moved on (the limit is for the gateway as a whole, not per address: a LAN
attacker can change addresses). With at most `LIVE_CODE_LIMIT` live codes, one window of
guesses hits one with a chance of 5 x 10 / 10^8. The price: someone spamming wrong
codes can hold pairing off for a while; paired devices are not affected.

Redeeming a code makes the device (registry.py) in the same transaction, so a code pairs
exactly one device even if two tablets send it at once.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from edge.errors import EdgeError
from edge.store_device.db import DeviceDb
from edge.store_device.registry import NewDevice, insert_device

CODE_DIGITS = 8
DEFAULT_CODE_MINUTES = 10.0
MAX_CODE_MINUTES = 60.0
LIVE_CODE_LIMIT = 5
FAILURE_LIMIT = 10
FAILURE_WINDOW_S = 600.0


class PairingRefused(EdgeError):
    """No new code: too many live ones, or a bad lifetime."""


@dataclass(frozen=True)
class PairingCode:
    code: str  # the digits, shown once and never stored
    name: str
    expires_at: float

    @property
    def shown(self) -> str:
        """'1234 5678': easier to read out and type."""
        half = CODE_DIGITS // 2
        return f"{self.code[:half]} {self.code[half:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalise_code(typed: str) -> str:
    """The digits of what was typed ('1234 5678', '1234-5678' and '12345678' are one)."""
    return "".join(ch for ch in typed if ch.isdigit())


def new_code(
    db: DeviceDb, name: str, minutes: float = DEFAULT_CODE_MINUTES, now: float | None = None
) -> PairingCode:
    """A fresh code for a device to be called `name`."""
    if not 0 < minutes <= MAX_CODE_MINUTES:
        raise PairingRefused(f"a pairing code lives between 0 and {MAX_CODE_MINUTES:g} minutes")
    now = time.time() if now is None else now
    with db.transaction() as conn:
        (live,) = conn.execute(
            "SELECT COUNT(*) FROM pairing_code WHERE used_at IS NULL AND expires_at > ?", (now,)
        ).fetchone()
        if live >= LIVE_CODE_LIMIT:
            raise PairingRefused(
                f"{live} pairing codes are still valid; use one or wait until they expire"
            )
        conn.execute("DELETE FROM pairing_code WHERE expires_at < ?", (now - 86400,))
        while True:
            code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
            exists = conn.execute(
                "SELECT 1 FROM pairing_code WHERE code_hash = ?", (_hash(code),)
            ).fetchone()
            if exists is None:
                break
        expires_at = now + minutes * 60
        conn.execute(
            "INSERT INTO pairing_code (code_hash, name, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (_hash(code), name, now, expires_at),
        )
    return PairingCode(code, name, expires_at)


Redeemed = NewDevice | Literal["invalid", "rate_limited"]


def redeem(db: DeviceDb, typed: str, now: float | None = None) -> Redeemed:
    """Pair a device with the code typed on it: the new device (its one-time token in it),
    'invalid' for a wrong, expired or used code (one answer for all, so none tells an
    attacker more), or 'rate_limited' while too many wrong codes were entered."""
    now = time.time() if now is None else now
    code = normalise_code(typed)
    with db.transaction() as conn:
        conn.execute("DELETE FROM pairing_failure WHERE at < ?", (now - FAILURE_WINDOW_S,))
        (failures,) = conn.execute("SELECT COUNT(*) FROM pairing_failure").fetchone()
        if failures >= FAILURE_LIMIT:
            return "rate_limited"
        row = conn.execute(
            "SELECT name FROM pairing_code"
            " WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
            (_hash(code), now),
        ).fetchone()
        if len(code) != CODE_DIGITS or row is None:
            conn.execute("INSERT INTO pairing_failure (at) VALUES (?)", (now,))
            return "invalid"
        conn.execute("UPDATE pairing_code SET used_at = ? WHERE code_hash = ?", (now, _hash(code)))
        return insert_device(conn, row[0], now)
