"""The seeded demo plus two customers: one homed in Hangzhou (in no Shanghai caller's
scope) and one homed in Jing'an but looked after by the Xuhui clerk (so the Jing'an store
manager sees the clerk's requests for them without being the clerk's manager); and
clients logged in for real as the demo's people."""

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Role, Scope
from hub.db.models import Customer
from hub.demo.seed import SeedResult
from tests.hub.callers import SeededCallers

TENANT = "tenant-demo"
HZ_CUSTOMER = "cus-fs-hz"
JINGAN_CUSTOMER = "cus-fs-jingan"  # homed in Jing'an, owned by the Xuhui clerk
CLERK = "stf-demo-xuhui-1"


def person(role: Role, staff_id: str) -> Scope:
    """A demo person's scope, for SeededCallers.as_ (only the staff id is used)."""
    return Scope(TENANT, role, f"staff:{staff_id}", staff_id=staff_id)


SM_JINGAN = person(Role.STORE_MANAGER, "stf-demo-sm-jingan")
SM_XIHU = person(Role.STORE_MANAGER, "stf-demo-sm-xihu")
RM_HZ = person(Role.REGIONAL_MANAGER, "stf-demo-rm-hz")


@pytest.fixture
def callers(sessions: sessionmaker[Session], seeded: SeedResult) -> SeededCallers:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for customer_id, store, owner in (
            (HZ_CUSTOMER, "store-hz-xihu", None),
            (JINGAN_CUSTOMER, "store-sh-jingan", CLERK),
        ):
            session.add(
                Customer(
                    id=customer_id, tenant_id=TENANT, name="兽医站", home_store_id=store,
                    owner_staff_id=owner, tags=[], created_at=now, updated_at=now,
                )
            )  # fmt: skip
    return SeededCallers(sessions)
