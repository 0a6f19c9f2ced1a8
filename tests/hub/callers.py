"""Callers of the hub API in tests: a TestClient acting as one scope.

Until staff log in (issue 13 item 5) the API's `current_scope` is a placeholder; a test
that needs a role other than admin sets it here, in one place, so that switching these
tests to a real login changes this module only."""

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.api.deps import current_scope
from hub.auth.scope import Role, Scope
from hub.settings import HubSettings
from tests.hub.conftest import TENANT_KEY

XUHUI_CLERK = Scope(
    "tenant-demo", Role.STAFF, "staff:st-xc", "st-xc", store_ids=frozenset({"store-sh-xuhui"})
)


def client_as(sessions: sessionmaker[Session], scope: Scope) -> TestClient:
    app = build_api(HubSettings(tenant_key=SecretStr(TENANT_KEY.decode())), sessions)

    async def caller() -> Scope:
        return scope

    app.dependency_overrides[current_scope] = caller
    return TestClient(app)
