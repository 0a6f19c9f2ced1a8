"""The cache's SQLite file: schema, connections, and recovery from a corrupt file.

The cache is disposable (the hub can always resend it), so a file SQLite cannot read is moved
aside and a fresh one (version 0, which makes the gateway ask for a full snapshot) takes its
place, rather than keeping a gateway from starting after a power cut.
"""

import logging
import sqlite3
import time
from pathlib import Path

from prometheus_client import Counter

from edge.cache.errors import CacheError
from edge.data_files import prepare_private_file

log = logging.getLogger(__name__)

CORRUPT_FILES = Counter("storepulse_cache_corrupt_files_total", "Unreadable cache files replaced")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    customer_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_by_age ON customers (updated_us, customer_id);
CREATE TABLE IF NOT EXISTS identifiers (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identifiers_by_customer ON identifiers (customer_id);
CREATE TABLE IF NOT EXISTS staged_customers (
    customer_id TEXT PRIMARY KEY,
    doc TEXT NOT NULL,
    updated_us INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS staged_identifiers (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('version', 0);
"""


_CORRUPT = {"SQLITE_NOTADB", "SQLITE_CORRUPT"}


def connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: the cache issues BEGIN/COMMIT itself.
    # check_same_thread=False: the cache serialises each connection with its own lock.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a cache, the hub can resend it
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


def _open(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection, int]:
    prepare_private_file(path)
    writer = connect(path)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.executescript(SCHEMA)
        row = writer.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        reader = connect(path)
    except BaseException:
        writer.close()
        raise
    return writer, reader, int(row[0])


def _move_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            part.replace(Path(f"{aside}{suffix}"))
    return aside


def open_cache_file(path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection, int]:
    """(writer, reader, version) for the cache at `path`, replacing an unreadable file."""
    try:
        return _open(path)
    except sqlite3.DatabaseError as exc:
        # Only a file SQLite calls corrupt; "database is locked" and friends are raised.
        if getattr(exc, "sqlite_errorname", "") not in _CORRUPT:
            raise CacheError(f"cannot open customer cache {path}: {exc}") from exc
        aside = _move_aside(path)
        CORRUPT_FILES.inc()
        log.error("customer cache %s unreadable (%s); moved to %s", path, exc, aside)
    try:
        return _open(path)
    except sqlite3.Error as exc:
        raise CacheError(f"cannot open customer cache {path}: {exc}") from exc
