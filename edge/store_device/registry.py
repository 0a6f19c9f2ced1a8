"""Paired devices: their cookie token (stored as its sha256 only), revocation, and the
clerk signed in on each.

A token is 32 random bytes (`secrets.token_urlsafe`); looking one up hashes it and asks
SQLite for that hash, whose UNIQUE index answers in one probe (a 256-bit random value's
hash needs no slow KDF: there is nothing to guess offline). The clerk's sign-in lives on
the device row, so it survives a gateway restart and ends with a revocation.
"""

import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from edge.store_device.db import DeviceDb

LAST_SEEN_EVERY_S = 60.0  # how stale `last_seen_at` may get (a write per request is waste)
PIN_FAILURE_LIMIT = 5
PIN_LOCK_S = 300.0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of a device: derived from its cookie token, so nothing more is
    stored and only a page that holds the cookie (same origin) can know it."""
    return hmac.new(token.encode(), b"storepulse-csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewDevice:
    device_id: str
    name: str
    token: str  # goes into the cookie once; only its hash is kept


@dataclass(frozen=True)
class Device:
    device_id: str
    name: str
    paired_at: float
    last_seen_at: float
    revoked_at: float | None
    clerk_staff_id: str | None
    clerk_until: float | None
    pin_failures: int
    pin_locked_until: float | None

    def clerk(self, now: float) -> str | None:
        """The staff id signed in on this device, if their sign-in has not run out."""
        if self.clerk_staff_id is None or (self.clerk_until or 0) <= now:
            return None
        return self.clerk_staff_id

    def pin_locked(self, now: float) -> bool:
        return (self.pin_locked_until or 0) > now


_COLUMNS = (
    "device_id, name, paired_at, last_seen_at, revoked_at, clerk_staff_id, clerk_until,"
    " pin_failures, pin_locked_until"
)


def insert_device(conn: sqlite3.Connection, name: str, now: float) -> NewDevice:
    """A new device row in the caller's transaction (pairing.redeem)."""
    token = secrets.token_urlsafe(32)
    device_id = "dev-" + secrets.token_hex(4)
    while conn.execute("SELECT 1 FROM device WHERE device_id = ?", (device_id,)).fetchone():
        device_id = "dev-" + secrets.token_hex(4)
    conn.execute(
        "INSERT INTO device (device_id, name, token_hash, paired_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (device_id, name, token_hash(token), now, now),
    )
    return NewDevice(device_id, name, token)


class DeviceRegistry:
    def __init__(self, db: DeviceDb) -> None:
        self.db = db

    def by_token(self, token: str, now: float | None = None) -> Device | None:
        """The active (not revoked) device holding this cookie token, or None."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM device WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash(token),),
            ).fetchone()
            if row is None:
                return None
            device = Device(*row)
            if now - device.last_seen_at > LAST_SEEN_EVERY_S:
                conn.execute(
                    "UPDATE device SET last_seen_at = ? WHERE device_id = ?",
                    (now, device.device_id),
                )
        return device

    def get(self, device_id: str) -> Device | None:
        with self.db.transaction(write=False) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM device WHERE device_id = ?", (device_id,)
            ).fetchone()
        return Device(*row) if row else None

    def is_active(self, device_id: str) -> bool:
        device = self.get(device_id)
        return device is not None and device.revoked_at is None

    def all(self) -> list[Device]:
        with self.db.transaction(write=False) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM device ORDER BY paired_at").fetchall()
        return [Device(*row) for row in rows]

    def revoke(self, device_id: str, now: float | None = None) -> bool:
        """Revoke a device (its cookie stops working at its next request); False if there
        is no such active device."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            done = conn.execute(
                "UPDATE device SET revoked_at = ?, clerk_staff_id = NULL, clerk_until = NULL"
                " WHERE device_id = ? AND revoked_at IS NULL",
                (now, device_id),
            )
        return done.rowcount == 1

    def sign_in(self, device_id: str, staff_id: str, until: float) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE device SET clerk_staff_id = ?, clerk_until = ?, pin_failures = 0,"
                " pin_locked_until = NULL WHERE device_id = ? AND revoked_at IS NULL",
                (staff_id, until, device_id),
            )

    def sign_out(self, device_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE device SET clerk_staff_id = NULL, clerk_until = NULL WHERE device_id = ?",
                (device_id,),
            )

    def pin_failed(self, device_id: str, now: float | None = None) -> None:
        """Count a wrong PIN; the `PIN_FAILURE_LIMIT`th locks sign-in on the device."""
        now = time.time() if now is None else now
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE device SET pin_failures = pin_failures + 1 WHERE device_id = ?",
                (device_id,),
            )
            conn.execute(
                "UPDATE device SET pin_failures = 0, pin_locked_until = ?"
                " WHERE device_id = ? AND pin_failures >= ?",
                (now + PIN_LOCK_S, device_id, PIN_FAILURE_LIMIT),
            )
