"""The token signing key: refused when short or a placeholder; made once in the data
directory (0600) when the settings have none; the demo's logins."""

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.auth.signing_key import BadSigningKey, check_signing_key, load_or_create
from hub.db.models import Credential
from hub.demo.logins import DEMO_PASSWORD, demo_logins, seed_logins
from hub.demo.seed import SeedResult
from hub.errors import ConfigError
from hub.settings import HubSettings
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import add_staff, bearer, hub_settings, log_in


@pytest.mark.parametrize("secret", ["changeme", "short-but-random-1", "a" * 40, "secret"])
def test_weak_signing_keys_are_refused(secret: str) -> None:
    with pytest.raises(BadSigningKey):
        check_signing_key(secret)
    with pytest.raises(ValueError, match="auth_secret"):
        HubSettings(tenant_key=SecretStr(TENANT_KEY.decode()), auth_secret=SecretStr(secret))


def test_without_a_key_the_api_is_not_built(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ConfigError, match="auth_secret"):
        build_api(HubSettings(tenant_key=SecretStr(TENANT_KEY.decode())), sessions)


def test_a_key_is_made_once_in_the_data_dir_readable_by_its_owner_only(tmp_path: Path) -> None:
    first = load_or_create(tmp_path / "hub")
    path = tmp_path / "hub" / "auth-signing-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(tmp_path / "hub") == first and len(first) >= 32
    path.chmod(0o644)  # loosened by hand: tightened again
    load_or_create(tmp_path / "hub")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_demo_staff_log_in_with_the_demo_password(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "st-demo", "staff", store_id="store-sh-xuhui", password=None)
    seed_logins(sessions)
    with sessions() as session:
        hashes = set(session.scalars(select(Credential.password_hash)))
    seed_logins(sessions)  # again: nothing changes
    with sessions() as session:
        assert set(session.scalars(select(Credential.password_hash))) == hashes
    logins = {d.login: d.role for d in demo_logins(sessions)}
    assert logins["st-demo"] == "staff" and "admin" in logins.values()
    with TestClient(build_api(hub_settings(TENANT_KEY), sessions)) as client:
        for login in logins:
            me = client.get("/auth/me", headers=bearer(log_in(client, login, DEMO_PASSWORD)))
            assert me.json()["role"] == logins[login]
