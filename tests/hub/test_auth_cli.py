"""`storepulse hub api-key …` and `hub login set` on a real PostgreSQL database; the keys
and logins they make work against the API."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.api import build_api
from hub.demo.seed import SeedResult
from storepulse.cli import app
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import add_staff, hub_settings, log_in


@pytest.fixture
def env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOREPULSE_HUB_DATABASE_URL", db_url)
    monkeypatch.setenv("STOREPULSE_HUB_TENANT_KEY", TENANT_KEY.decode())


def test_api_keys_made_listed_and_revoked_on_the_command_line(
    env: None, sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app,
        ["hub", "api-key", "create", "-n", "web form", "-g", "leads:write", "-t", "tenant-demo"],
    )
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("spk_")
    with TestClient(build_api(hub_settings(TENANT_KEY), sessions)) as client:
        me = client.get("/auth/me", headers={"X-API-Key": key}).json()
        assert me["grants"] == ["leads:write"] and me["subject"].startswith("key:key-")
        key_id = me["subject"].removeprefix("key:")
        listed = runner.invoke(app, ["hub", "api-key", "list", "-t", "tenant-demo"])
        assert key_id in listed.stdout and key not in listed.stdout
        revoked = runner.invoke(app, ["hub", "api-key", "revoke", key_id, "-t", "tenant-demo"])
        assert revoked.exit_code == 0, revoked.output
        assert client.get("/auth/me", headers={"X-API-Key": key}).status_code == 401
    bad = runner.invoke(app, ["hub", "api-key", "create", "-n", "x", "-g", "root", "-t", "t"])
    assert bad.exit_code == 2 and "unknown grants" in bad.output


def test_a_login_set_on_the_command_line_logs_in(
    env: None, sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "st-cli", "staff", store_id="store-sh-xuhui", password=None)
    runner = CliRunner()
    args = ["hub", "login", "set", "st-cli", "-l", "Clerk.Wang", "-t", "tenant-demo"]
    done = runner.invoke(app, [*args, "--password-stdin"], input="a-long-password-1\n")
    assert done.exit_code == 0, done.output
    weak = runner.invoke(app, [*args, "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "at least 10" in weak.output
    with TestClient(build_api(hub_settings(TENANT_KEY), sessions)) as client:
        assert log_in(client, "clerk.wang", "a-long-password-1")["access_token"]
