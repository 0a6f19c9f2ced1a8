"""`devices.sqlite3` in the gateway's data directory: pairing codes and paired devices.

Shared by the running gateway and the `storepulse edge` commands (pair-device, devices), so
WAL mode and a busy timeout let both write without "database is locked". Owner-only, 0600
(edge/data_files.py): it holds only hashes, but a hash of a short pairing code is still
worth keeping private while the code is valid.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edge.data_files import prepare_private_file
from edge.errors import EdgeError

DEVICES_FILE = "devices.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS pairing_code (
    code_hash  TEXT PRIMARY KEY,     -- sha256 of the digits
    name       TEXT NOT NULL,        -- what the device will be called
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    used_at    REAL
);
CREATE TABLE IF NOT EXISTS pairing_failure (
    at REAL NOT NULL                 -- a wrong, expired or used code was entered
);
CREATE INDEX IF NOT EXISTS pairing_failure_at ON pairing_failure (at);
CREATE TABLE IF NOT EXISTS device (
    device_id        TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,  -- sha256 of the cookie's token
    paired_at        REAL NOT NULL,
    last_seen_at     REAL NOT NULL,
    revoked_at       REAL,
    clerk_staff_id   TEXT,                  -- who is signed in on it, until clerk_until
    clerk_until      REAL,
    pin_failures     INTEGER NOT NULL DEFAULT 0,
    pin_locked_until REAL
);
"""


class DeviceDbError(EdgeError):
    """The device file cannot be opened or written."""


class DeviceDb:
    """One connection, used from any thread under a lock (each call is a few rows)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> "DeviceDb":
        return cls(data_dir / DEVICES_FILE)

    def open(self) -> "DeviceDb":
        try:
            prepare_private_file(self.path)
            conn = sqlite3.connect(
                self.path, check_same_thread=False, timeout=5.0, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise DeviceDbError(f"{self.path}: {exc}") from exc
        prepare_private_file(self.path)  # the -wal and -shm files SQLite just made
        self._conn = conn
        return self

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """The connection inside one transaction. A write one is BEGIN IMMEDIATE, so the
        CLI and the gateway never interleave a read-then-write such as redeeming a code;
        a read-only one (`write=False`) takes no lock beyond WAL's snapshot."""
        with self._lock:
            if self._conn is None:
                raise DeviceDbError(f"{self.path}: not open")
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
