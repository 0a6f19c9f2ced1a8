"""Two refreshes with one token at once, against the real server: exactly one wins however
they interleave (the token row is locked while it is claimed, so both cannot read it
unused); the other counts as a reuse and ends the family."""

import threading

import httpx
from sqlalchemy.orm import Session, sessionmaker

from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import add_staff, hub_settings, log_in
from tests.support.hub_server import origin, serving


def test_one_of_two_simultaneous_refreshes_wins(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    add_staff(sessions, "st-race", "staff", store_id="store-sh-xuhui")
    with serving(hub_settings(TENANT_KEY), sessions) as server:
        base = origin(server)
        with httpx.Client(base_url=base) as client:
            token = log_in(client, "st-race")["refresh_token"]
        start = threading.Barrier(2)
        answers: list[httpx.Response] = []

        def refresh() -> None:
            with httpx.Client(base_url=base, timeout=30) as client:
                start.wait()
                answers.append(client.post("/auth/refresh", json={"refresh_token": token}))

        threads = [threading.Thread(target=refresh) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(a.status_code for a in answers) == [200, 401]
        [won] = [a.json() for a in answers if a.status_code == 200]
        with httpx.Client(base_url=base) as client:
            after = client.post("/auth/refresh", json={"refresh_token": won["refresh_token"]})
        assert after.status_code == 401  # the loser's reuse revoked the whole family
