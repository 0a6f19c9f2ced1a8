"""Lifetimes, on the service functions with a clock passed in: refresh tokens expire when
unused and at the session's end however often refreshed; lockouts end; old failures stop
counting; the unknown-user check costs what a real one does."""

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from hub.auth import login as auth_login
from hub.auth.passwords import _dummy_hash
from hub.auth.policy import AuthPolicy
from hub.auth.refresh_tokens import Refused
from hub.demo.seed import SeedResult
from tests.support.hub_auth import AUTH_SECRET, PASSWORD, add_staff

POLICY = AuthPolicy(
    signing_key=AUTH_SECRET,
    refresh_ttl=timedelta(days=14),
    session_max=timedelta(days=30),
    max_failures=3,
    lock_for=timedelta(minutes=15),
)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _login(sessions: sessionmaker[Session], name: str, password: str, now: datetime) -> object:
    return auth_login.login(sessions, POLICY, name, password, now)


def _refresh(sessions: sessionmaker[Session], token: str, now: datetime) -> object:
    with sessions.begin() as session:
        return auth_login.refresh(session, POLICY, token, now)


def test_an_unused_refresh_token_expires_and_a_session_ends_at_its_maximum(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "st-life", "staff", store_id="store-sh-xuhui")
    first = _login(sessions, "st-life", PASSWORD, T0)
    assert isinstance(first, auth_login.TokenPair)
    assert first.refresh_expires_at == T0 + timedelta(days=14)
    late = _refresh(sessions, first.refresh_token, T0 + timedelta(days=14, seconds=1))
    assert late is Refused.EXPIRED
    pair = _login(sessions, "st-life", PASSWORD, T0)
    assert isinstance(pair, auth_login.TokenPair)
    now = T0
    for _ in range(3):  # refreshed every 9 days: never idle for 14
        now += timedelta(days=9)
        pair = _refresh(sessions, pair.refresh_token, now)  # type: ignore[union-attr]
        assert isinstance(pair, auth_login.TokenPair), pair
    assert pair.refresh_expires_at == T0 + timedelta(days=30)  # capped at the session's end
    ended = _refresh(sessions, pair.refresh_token, T0 + timedelta(days=30))
    assert ended is Refused.EXPIRED


def test_a_lock_ends_and_failures_outside_the_window_do_not_count(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "st-lock", "staff", store_id="store-sh-xuhui")
    outcomes = [_login(sessions, "st-lock", "wrong-pass-1", T0) for _ in range(3)]
    assert outcomes[-1] == auth_login.Refusal(locked_until=T0 + timedelta(minutes=15))
    during = _login(sessions, "st-lock", PASSWORD, T0 + timedelta(minutes=14))
    assert isinstance(during, auth_login.Refusal) and during.locked_until is not None
    after = _login(sessions, "st-lock", PASSWORD, T0 + timedelta(minutes=15, seconds=1))
    assert isinstance(after, auth_login.TokenPair)
    # two failures, then a third 16 minutes later: a new window, no lock
    t1 = T0 + timedelta(hours=1)
    for at in (t1, t1, t1 + timedelta(minutes=16)):
        refused = _login(sessions, "st-lock", "wrong-pass-1", at)
        assert refused == auth_login.Refusal(locked_until=None)


def test_the_dummy_hash_for_unknown_users_has_the_real_parameters() -> None:
    assert not PasswordHasher().check_needs_rehash(_dummy_hash())
