"""A throw-away PostgreSQL database per test on the server named by STOREPULSE_TEST_PG."""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

ADMIN_URL = os.environ.get(
    "STOREPULSE_TEST_PG", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
)


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)


def postgres_available() -> bool:
    try:
        with _admin():
            return True
    except psycopg.OperationalError:
        return False


def _url_on_test_server(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


@contextmanager
def scratch_database(
    admin_url: str = ADMIN_URL, url_of: Callable[[str], str] = _url_on_test_server
) -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh, empty database; drop it afterwards. By default on
    STOREPULSE_TEST_PG's server; on another, `admin_url` (libpq) and `url_of` (name to
    SQLAlchemy URL) say which."""
    name = f"sp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_of(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            # The owner of its audit schema (hub migration 0009), one role per database.
            conn.execute(f'DROP ROLE IF EXISTS "storepulse_audit_{name}"')
