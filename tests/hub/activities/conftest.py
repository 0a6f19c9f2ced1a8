"""The seeded demo, a customer homed in Hangzhou (in no Shanghai caller's scope), and
clients logged in for real as the demo's people (tests/hub/org_scopes.py)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer
from hub.demo.seed import SeedResult
from tests.hub.callers import SeededCallers

HZ_CUSTOMER = "cus-act-hz"


@pytest.fixture
def callers(sessions: sessionmaker[Session], seeded: SeedResult) -> SeededCallers:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(
            Customer(
                id=HZ_CUSTOMER, tenant_id=seeded.tenant_id, name="杭客",
                home_store_id="store-hz-xihu", tags=[], created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return SeededCallers(sessions)
