"""Callers of the hub API in tests, as one role: a staff member with a login, logged in for
real (POST /auth/token; no dependency overrides). `CallerSpec` says who."""

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.auth.credentials import set_password
from hub.auth.scope import Role, Scope
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import PASSWORD, TENANT, add_staff, bearer, hub_settings, log_in


@dataclass(frozen=True)
class CallerSpec:
    login: str  # also the staff id
    role: str
    store_id: str | None = None
    region_id: str | None = None
    tenant: str = TENANT


XUHUI_CLERK = CallerSpec("st-xc", "staff", store_id="store-sh-xuhui")


def client_as(sessions: sessionmaker[Session], who: CallerSpec) -> TestClient:
    add_staff(
        sessions,
        who.login,
        who.role,
        store_id=who.store_id,
        region_id=who.region_id,
        tenant=who.tenant,
    )
    client = TestClient(build_api(hub_settings(TENANT_KEY), sessions))
    client.headers.update(bearer(log_in(client, who.login)))
    return client


class SeededCallers:
    """Clients logged in for real as people of the seeded demo organisation: `as_(scope)`
    gives the staff member `scope` names (tests/hub/org_scopes.py) a login of their id,
    logs in and hands back the client carrying that token."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.client = TestClient(build_api(hub_settings(TENANT_KEY), sessions))
        self.tokens: dict[str, dict[str, str]] = {}

    def as_(self, scope: Scope) -> TestClient:
        staff_id = scope.staff_id or ""
        if staff_id not in self.tokens:
            setup = Scope(tenant_id=scope.tenant_id, role=Role.ADMIN, subject="test:setup")
            with self.sessions.begin() as session:
                set_password(session, setup, staff_id, staff_id, PASSWORD, datetime.now(UTC))
            self.tokens[staff_id] = bearer(log_in(self.client, staff_id))
        self.client.headers.update(self.tokens[staff_id])
        return self.client
