"""Callers of the hub API in tests, as one role: a staff member with a login, logged in for
real (POST /auth/token; no dependency overrides). `CallerSpec` says who."""

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import TENANT, add_staff, bearer, hub_settings, log_in


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
