"""The demo seed is complete and idempotent."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer, Gateway, Identity, Purchase
from hub.demo.seed import seed_demo
from tests.hub.conftest import TENANT_KEY
from wire.identity import IdentifierKind, keyed_hash


def test_seed_twice_changes_nothing(sessions: sessionmaker[Session]) -> None:
    first = seed_demo(sessions, TENANT_KEY)
    second = seed_demo(sessions, TENANT_KEY)
    assert (first.customers_created, second.customers_created) == (20, 0)
    assert first.gateway_ids == ["gw-demo-1", "gw-demo-2"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 20
        purchases = s.scalar(select(func.count()).select_from(Purchase))
        assert purchases is not None and purchases >= 40
        assert {g.store_id for g in s.scalars(select(Gateway))} == set(first.store_ids)
        id_hash = keyed_hash(TENANT_KEY, IdentifierKind.ID_HASH, "31010419880315432X")
        owner = s.scalars(select(Identity.customer_id).where(Identity.value == id_hash)).one()
        assert owner == "cus-demo-01"
