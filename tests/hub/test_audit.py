"""The audit log: entries commit with their write, the database refuses any change to them
(for the hub's own, non-superuser role above all), and admins page through them."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.db import make_engine, make_session_factory, migrate
from hub.db.models import Tenant
from hub.demo.seed import SeedResult
from hub.errors import Forbidden
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import admin_client, hub_settings

ADMIN = Scope(tenant_id="tenant-demo", role=Role.ADMIN, subject="staff:st-admin")
CLERK = Scope(tenant_id="tenant-demo", role=Role.STAFF, subject="staff:st-clerk")


def _count(session: Session) -> int:
    """Entries of this test's callers (the demo seed audits its own writes as seed:demo)."""
    return session.scalar(text("SELECT count(*) FROM audit.log WHERE actor LIKE 'staff:%'")) or 0


def test_an_entry_commits_and_rolls_back_with_its_write(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions() as session, session.begin():
        audit.record(
            session,
            ADMIN,
            "update",
            "store",
            "store-sh-xuhui",
            before={"name": "old"},
            after={"name": "new"},
        )
    with pytest.raises(RuntimeError), sessions() as session, session.begin():
        audit.record(session, ADMIN, "delete", "store", "store-sh-jingan")
        raise RuntimeError("the write failed")
    with sessions() as session:
        rows = session.scalars(
            text("SELECT action FROM audit.log WHERE actor = 'staff:st-admin'")
        ).all()
    assert rows == ["update"]


def test_values_are_stored_as_json_and_changed_keeps_only_differences(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions() as session:
        tenant = session.get_one(Tenant, "tenant-demo")
        values = audit.row_values(tenant, leave_out=["name"])
    assert set(values) == {"id", "created_at", "ownership_rule"}
    assert isinstance(values["created_at"], str) and values["created_at"].startswith("20")
    before, after = audit.changed({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": [1]})
    assert (before, after) == ({"b": 2, "c": None}, {"b": 3, "c": [1]})


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit.log SET actor = 'someone else'", "DELETE FROM audit.log", "TRUNCATE audit.log"],
)
def test_the_database_refuses_to_change_entries_even_for_a_superuser(
    sessions: sessionmaker[Session], seeded: SeedResult, statement: str
) -> None:
    with sessions() as session, session.begin():
        audit.record(session, ADMIN, "create", "staff", "st-1")
    with pytest.raises(DBAPIError, match="append-only"), sessions() as session:
        session.execute(text(statement))
    with sessions() as session:
        assert _count(session) == 1


@contextmanager
def _database_of_a_plain_role(superuser_url: str) -> Iterator[str]:
    """A non-superuser login role (CREATEROLE, as the hub's own role has) owning the
    scratch database; yields its URL."""
    role = f"sp_app_{uuid.uuid4().hex[:10]}"
    url = make_url(superuser_url)
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN CREATEROLE PASSWORD 'audit-test'")
        conn.execute(f'ALTER DATABASE "{url.database}" OWNER TO {role}')
    try:
        yield url.set(username=role, password="audit-test").render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{url.database}" OWNER TO current_user')
            conn.execute(f"REASSIGN OWNED BY {role} TO current_user")
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


@pytest.fixture
def plain_role_engine(pg_url_each_server: str) -> Iterator[Engine]:
    with _database_of_a_plain_role(pg_url_each_server) as url:
        migrate(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit.log SET actor = 'someone else'",
        "DELETE FROM audit.log",
        "TRUNCATE audit.log",
        "ALTER TABLE audit.log DISABLE TRIGGER USER",
        "DROP TRIGGER append_only ON audit.log",
        "DROP TABLE audit.log",
        "DROP SCHEMA audit CASCADE",
        "SET ROLE storepulse_audit_{database}",
    ],
)
def test_the_hubs_own_role_can_only_append_and_read(
    plain_role_engine: Engine, statement: str
) -> None:
    sessions = make_session_factory(plain_role_engine)
    with sessions() as session, session.begin():
        session.add(Tenant(id="t-1", name="T", created_at=datetime.now(UTC)))
        session.flush()
        audit.record(session, Scope("t-1", Role.ADMIN, "staff:a"), "create", "staff", "st-1")
    refused = "append-only|permission denied|must be owner"
    with pytest.raises(DBAPIError, match=refused), sessions() as session:
        database = session.scalar(text("SELECT current_database()"))
        session.execute(text(statement.format(database=database)))
    with sessions() as session:
        owner = session.scalar(
            text(
                "SELECT tableowner FROM pg_tables WHERE schemaname = 'audit' AND tablename = 'log'"
            )
        )
        database = session.scalar(text("SELECT current_database()"))
        assert owner == f"storepulse_audit_{database}"
        assert _count(session) == 1


def test_only_admins_read_the_log(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    with sessions() as session:
        with pytest.raises(Forbidden):
            audit.entries(session, CLERK, audit.AuditQuery())
        assert audit.entries(session, ADMIN, audit.AuditQuery(actor="staff:st-admin")) == []


def test_the_api_pages_entries_newest_first_and_echoes_the_request_id(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions() as session, session.begin():
        for n in range(5):
            audit.record(session, ADMIN, "update", "widget", f"widget-{n}")
        audit.record(session, CLERK, "export", "customers", "region-sh")
    with admin_client(build_api(hub_settings(TENANT_KEY), sessions), sessions) as client:
        first = client.get(
            "/audit",
            params={"entity": "widget", "limit": 3},
            headers={"X-Request-ID": "req-audit-0001"},
        )
        assert first.status_code == 200
        assert first.headers["x-request-id"] == "req-audit-0001"
        page = first.json()
        assert [e["entity_id"] for e in page["items"]] == ["widget-4", "widget-3", "widget-2"]
        rest = client.get("/audit", params={"entity": "widget", "before": page["next"]}).json()
        assert [e["entity_id"] for e in rest["items"]] == ["widget-1", "widget-0"]
        assert rest["next"] is None
        exports = client.get("/audit", params={"action": "export"}).json()["items"]
        assert [(e["actor"], e["actor_role"]) for e in exports] == [("staff:st-clerk", "staff")]
        made = client.get("/audit", headers={"X-Request-ID": "bad id\n"})
        assert (
            made.headers["x-request-id"] != "bad id\n" and len(made.headers["x-request-id"]) == 36
        )
        assert client.get("/audit", params={"limit": 0}).status_code == 422


def test_entries_of_a_request_carry_its_id(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    token = audit.REQUEST_ID.set("req-1234-abcd")
    try:
        with sessions() as session, session.begin():
            audit.record(session, ADMIN, "create", "api_key", "key-1")
    finally:
        audit.REQUEST_ID.reset(token)
    with sessions() as session:
        entry = session.scalars(
            text("SELECT request_id FROM audit.log WHERE entity = 'api_key'")
        ).one()
    assert entry == "req-1234-abcd"
