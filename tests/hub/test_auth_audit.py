"""Authentication's writes are in the audit log, in their own transaction, with no secret:
logins that worked and failed, logouts, reused refresh tokens, passwords set, API keys
made and revoked."""

import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import PASSWORD, add_staff, bearer, hub_settings, log_in


def _entries(sessions: sessionmaker[Session]) -> list[dict[str, Any]]:
    with sessions() as session:
        rows = session.execute(
            text(
                "SELECT actor, actor_role, action, entity, entity_id, before, after, request_id "
                "FROM audit.log ORDER BY id"
            )
        ).mappings()
        return [dict(r) for r in rows]


def test_every_write_of_authentication_is_audited_without_secrets(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "adm-a")
    add_staff(sessions, "st-a", "staff", store_id="store-sh-xuhui")
    secrets: list[str] = [PASSWORD]
    with TestClient(build_api(hub_settings(TENANT_KEY), sessions)) as client:
        admin = bearer(log_in(client, "adm-a"))
        wrong = {"username": "st-a", "password": "not-the-password"}
        assert client.post("/auth/token", data=wrong).status_code == 401
        assert client.post("/auth/token", data={**wrong, "username": "ghost"}).status_code == 401
        first = log_in(client, "st-a")
        second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        again = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert (second.status_code, again.status_code) == (200, 401)
        fresh = log_in(client, "st-a")
        out = client.post(
            "/auth/logout",
            json={"refresh_token": fresh["refresh_token"]},
            headers={"X-Request-ID": "req-logout-0001"},
        )
        assert out.status_code == 204
        made = client.post(
            "/api-keys", json={"name": "web form", "grants": ["leads:write"]}, headers=admin
        ).json()
        assert client.delete(f"/api-keys/{made['id']}", headers=admin).status_code == 204
        new = {"login": "st-a", "password": "another-password-42"}
        assert client.put("/staff/st-a/login", json=new, headers=admin).status_code == 204
        secrets += [made["key"], first["refresh_token"], fresh["refresh_token"], new["password"]]
        secrets += [first["access_token"], fresh["access_token"]]
    entries = _entries(sessions)
    seen = [(e["actor"], e["action"], e["entity"], e["entity_id"]) for e in entries]
    family = next(e for e in entries if e["action"] == "logout")["entity_id"]
    assert seen[:2] == [
        ("test:setup", "create", "staff_login", "adm-a"),
        ("test:setup", "create", "staff_login", "st-a"),
    ]
    assert ("staff:adm-a", "login", "staff", "adm-a") in seen
    assert ("login:st-a", "login_failed", "login", "st-a") in seen
    assert not any(e["entity_id"] == "ghost" for e in entries)  # nobody's: no tenant
    assert [s for s in seen if s[1] == "revoke" and s[2] == "refresh_token_family"]
    assert ("staff:st-a", "logout", "refresh_token_family", family) in seen
    assert ("staff:adm-a", "create", "api_key", made["id"]) in seen
    assert ("staff:adm-a", "revoke", "api_key", made["id"]) in seen
    assert ("staff:adm-a", "update", "staff_login", "st-a") in seen
    logout = next(e for e in entries if e["action"] == "logout")
    assert logout["request_id"] == "req-logout-0001" and logout["actor_role"] == "staff"
    stored = json.dumps(entries, default=str)
    assert not [s for s in secrets if s in stored]
    assert "$argon2" not in stored
