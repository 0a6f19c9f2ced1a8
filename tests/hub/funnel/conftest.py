"""Callers of the funnel: a Xuhui clerk, a Shanghai and a Hangzhou regional manager, an
admin; a Hangzhou customer nobody in Shanghai sees."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as

HZ_CUSTOMER = "cus-fn-hz"
SH_CUSTOMER = "cus-demo-02"  # homed in Xuhui
SPECS = {
    "admin": CallerSpec("fn-admin", "admin"),
    "clerk": CallerSpec("fn-clerk", "staff", store_id="store-sh-xuhui"),
    "rm_sh": CallerSpec("fn-rm-sh", "regional_manager", region_id="region-sh"),
    "rm_hz": CallerSpec("fn-rm-hz", "regional_manager", region_id="region-hz"),
}


@pytest.fixture
def callers(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[dict[str, TestClient]]:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(
            Customer(
                id=HZ_CUSTOMER,
                tenant_id="tenant-demo",
                name="杭客",
                home_store_id="store-hz-xihu",
                tags=[],
                created_at=now,
                updated_at=now,
            )
        )
    made = {name: client_as(sessions, spec) for name, spec in SPECS.items()}
    yield made
    for client in made.values():
        client.close()
