"""Logging in to the hub API in tests, for real: a staff row with a login, then POST
/auth/token (no dependency overrides). Needs the demo org (seed_demo) for its stores."""

from datetime import UTC, datetime
from typing import Any, Protocol

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.credentials import set_password
from hub.auth.scope import Role, Scope
from hub.crm.org.inputs import StaffDraft
from hub.crm.org.staff import staff_row
from hub.db.models import Staff
from hub.settings import HubSettings

TENANT = "tenant-demo"
PASSWORD = "test-password-0123"
AUTH_SECRET = "test-auth-signing-key-0123456789abcdefXYZ"


class _Client(Protocol):  # TestClient and httpx.Client alike
    def post(self, url: str, **kwargs: Any) -> Any: ...


def hub_settings(tenant_key: bytes, **overrides: Any) -> HubSettings:
    return HubSettings(
        tenant_key=SecretStr(tenant_key.decode()), auth_secret=SecretStr(AUTH_SECRET), **overrides
    )


def add_staff(
    sessions: sessionmaker[Session],
    staff_id: str,
    role: str = "admin",
    *,
    store_id: str | None = None,
    region_id: str | None = None,
    password: str | None = PASSWORD,
    tenant: str = TENANT,
) -> str:
    """A staff member of the demo tenant, with login `staff_id` unless `password` is None."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        if session.get(Staff, staff_id) is not None:
            return staff_id
        draft = StaffDraft(
            code=staff_id.upper(), name=f"Test {staff_id}", role=Role(role), home_store_id=store_id
        )
        session.add(staff_row(tenant, draft, staff_id, now, region_id))
        session.flush()
        if password is not None:
            setup = Scope(tenant_id=tenant, role=Role.ADMIN, subject="test:setup")
            set_password(session, setup, staff_id, staff_id, password, now)
    return staff_id


def log_in(client: _Client, login: str, password: str = PASSWORD) -> dict[str, Any]:
    """The token answer of POST /auth/token; raises if the login failed."""
    response = client.post("/auth/token", data={"username": login, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def admin_headers(client: _Client, sessions: sessionmaker[Session]) -> dict[str, str]:
    """Headers of a freshly logged-in admin of the demo tenant."""
    return bearer(log_in(client, add_staff(sessions, "admin-t")))


def admin_client(app: Any, sessions: sessionmaker[Session]) -> TestClient:
    """A TestClient that sends a logged-in admin's bearer token with every request."""
    client = TestClient(app)
    client.headers.update(admin_headers(client, sessions))
    return client
