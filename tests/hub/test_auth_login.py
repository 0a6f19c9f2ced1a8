"""Staff login, token refresh and logout through the real API (TestClient) on PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime

import jwt
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.db.models import Credential, LoginThrottle, RefreshToken, Staff
from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import AUTH_SECRET, PASSWORD, add_staff, bearer, hub_settings, log_in


@pytest.fixture
def client(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[TestClient]:
    app = build_api(hub_settings(TENANT_KEY, auth_login_max_failures=3), sessions)
    with TestClient(app) as client:
        yield client


def test_a_login_gives_a_short_lived_jwt_with_the_staff_members_claims(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "sm-1", "store_manager", store_id="store-sh-jingan")
    tokens = log_in(client, "SM-1 ")  # login names are trimmed and case-blind
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    claims = jwt.decode(
        tokens["access_token"], AUTH_SECRET, algorithms=["HS256"], audience="storepulse-api"
    )
    assert claims["iss"] == "storepulse-hub" and claims["sub"] == "staff:sm-1"
    assert (claims["tid"], claims["role"]) == ("tenant-demo", "store_manager")
    assert claims["exp"] - claims["iat"] == 15 * 60 and len(claims["jti"]) == 32
    me = client.get("/auth/me", headers=bearer(tokens)).json()
    assert me["store_ids"] == ["store-sh-jingan"] and me["staff_id"] == "sm-1"
    assert "customers:read" in me["grants"]


def test_a_wrong_password_and_an_unknown_login_get_the_same_401(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "st-1", "staff", store_id="store-sh-xuhui")
    wrong = client.post("/auth/token", data={"username": "st-1", "password": "nope-nope-1"})
    unknown = client.post("/auth/token", data={"username": "nobody", "password": "nope-nope-1"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"detail": "incorrect login or password"}
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("login", ["st-2", "nobody-at-all"])
def test_failures_lock_a_login_known_or_not_with_429_and_retry_after(
    client: TestClient, sessions: sessionmaker[Session], login: str
) -> None:
    add_staff(sessions, "st-2", "staff", store_id="store-sh-xuhui")
    codes = [
        client.post("/auth/token", data={"username": login, "password": "wrong-pass-1"})
        for _ in range(4)
    ]
    assert [r.status_code for r in codes] == [401, 401, 429, 429]  # the 3rd failure locks
    assert 14 * 60 < int(codes[3].headers["retry-after"]) <= 15 * 60 + 1
    right = client.post("/auth/token", data={"username": login, "password": PASSWORD})
    assert right.status_code == 429  # even the right password, until the lock ends
    with sessions.begin() as session:  # the lock is over
        session.execute(update(LoginThrottle).values(locked_until=datetime.now(UTC)))
    after = client.post("/auth/token", data={"username": login, "password": PASSWORD})
    assert after.status_code == (200 if login == "st-2" else 401)


def test_staff_who_left_or_have_no_password_cannot_log_in_and_tokens_stop_at_once(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "st-3", "staff", store_id="store-sh-xuhui")
    add_staff(sessions, "st-4", "staff", store_id="store-sh-xuhui", password=None)
    tokens = log_in(client, "st-3")
    assert client.get("/auth/me", headers=bearer(tokens)).status_code == 200
    with sessions.begin() as session:
        session.execute(update(Staff).where(Staff.id == "st-3").values(status="left"))
    gone = client.get("/auth/me", headers=bearer(tokens))
    assert gone.status_code == 401 and 'error="invalid_token"' in gone.headers["www-authenticate"]
    refreshed = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    for login in ("st-3", "st-4"):
        answer = client.post("/auth/token", data={"username": login, "password": PASSWORD})
        assert answer.status_code == 401


def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "rm-1", "regional_manager", region_id="region-sh")
    first = log_in(client, "rm-1")
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert client.get("/auth/me", headers=bearer(pair)).json()["role"] == "regional_manager"
    replay = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["detail"] == "refresh token reused"
    after = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401  # the thief's copy and the owner's both end here
    with sessions() as session:
        rows = session.scalars(select(RefreshToken).where(RefreshToken.staff_id == "rm-1"))
        assert all(r.revoked_at is not None for r in rows)
        hashes = set(session.scalars(select(RefreshToken.token_hash)))
    assert first["refresh_token"] not in hashes  # only hashes are stored


def test_logout_revokes_the_refresh_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "st-5", "staff", store_id="store-sh-xuhui")
    tokens = log_in(client, "st-5")
    out = client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    refused = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401 and refused.json()["detail"] == "refresh token revoked"


def test_a_hash_with_old_parameters_is_rehashed_at_login(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    add_staff(sessions, "st-6", "staff", store_id="store-sh-xuhui")
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with sessions.begin() as session:
        session.execute(
            update(Credential).where(Credential.staff_id == "st-6").values(password_hash=old)
        )
    log_in(client, "st-6")
    with sessions() as session:
        new = session.get_one(Credential, "st-6").password_hash
    assert new != old and not PasswordHasher().check_needs_rehash(new)
    assert PasswordHasher().verify(new, PASSWORD)


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: jwt.encode(c, "another-key-another-key-another-key", algorithm="HS256"),
        lambda c: jwt.encode(c, "", algorithm="none"),
        lambda c: jwt.encode({**c, "aud": "elsewhere"}, AUTH_SECRET, algorithm="HS256"),
        lambda c: jwt.encode({**c, "exp": c["iat"] - 60}, AUTH_SECRET, algorithm="HS256"),
    ],
    ids=["other-key", "alg-none", "other-audience", "expired"],
)
def test_forged_or_expired_tokens_are_401(
    client: TestClient, sessions: sessionmaker[Session], forge: object
) -> None:
    add_staff(sessions, "adm-2")
    good = log_in(client, "adm-2")["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    token = forge(claims)  # type: ignore[operator]
    answer = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_a_new_password_ends_the_old_sessions(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(log_in(client, add_staff(sessions, "adm-3")))
    add_staff(sessions, "st-7", "staff", store_id="store-sh-xuhui")
    old = log_in(client, "st-7")
    assert client.get("/auth/me", headers=bearer(old)).status_code == 200
    new_password = {"login": "st-7", "password": "another-password-42"}
    put = client.put("/staff/st-7/login", json=new_password, headers=admin)
    assert put.status_code == 204
    assert client.get("/auth/me", headers=bearer(old)).status_code == 401
    refresh = client.post("/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401
    assert log_in(client, "st-7", "another-password-42")["access_token"]


def test_a_login_name_belongs_to_one_staff_member(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    admin = bearer(log_in(client, add_staff(sessions, "adm-4")))
    add_staff(sessions, "st-8", "staff", store_id="store-sh-xuhui", password=None)
    taken = {"login": "ADM-4", "password": "another-password-42"}
    answer = client.put("/staff/st-8/login", json=taken, headers=admin)
    assert answer.status_code == 409 and answer.json() == {"detail": "login taken: adm-4"}
    nobody = client.put("/staff/nobody/login", json={**taken, "login": "x1"}, headers=admin)
    assert nobody.status_code == 404
    weak = client.put(
        "/staff/st-8/login", json={"login": "st-8", "password": "short"}, headers=admin
    )
    assert weak.status_code == 422  # the schema says 10 characters at least


def test_control_characters_in_a_login_are_nobodys_login_not_a_storage_error(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    # Schemathesis sent a NUL in the form: PostgreSQL refuses it in text, and it was a 503.
    add_staff(sessions, "sm-2", "store_manager", store_id="store-sh-jingan")
    for name in ("sm-2\x00", "sm\x00-2", "sm-\n2"):
        answer = client.post("/auth/token", data={"username": name, "password": PASSWORD})
        assert answer.status_code == 401, answer.text
    key = client.post(
        "/api-keys",
        json={"name": "form\x00", "grants": ["leads:write"]},
        headers=bearer(log_in(client, add_staff(sessions, "admin-nul"))),
    )
    assert key.status_code == 422
