"""The demo seed is complete and idempotent."""

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.org.hours import OpeningHours
from hub.db.models import Customer, Gateway, Identity, Purchase, Region, Staff, Store, Touchpoint
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
        gateway_stores = {g.store_id for g in s.scalars(select(Gateway))}
        assert gateway_stores == {"store-sh-xuhui", "store-sh-jingan"}
        id_hash = keyed_hash(TENANT_KEY, IdentifierKind.ID_HASH, "31010419880315432X")
        owner = s.scalars(select(Identity.customer_id).where(Identity.value == id_hash)).one()
        assert owner == "cus-demo-01"


def test_the_seeded_organisation(sessions: sessionmaker[Session]) -> None:
    seed_demo(sessions, TENANT_KEY)
    seed_demo(sessions, TENANT_KEY)
    with sessions() as s:
        regions = list(s.scalars(select(Region)))
        stores = list(s.scalars(select(Store)))
        staff = list(s.scalars(select(Staff)))
        assert len(regions) == 2 and len(stores) == 4 and len(staff) == 12
        assert Counter(st.region_id for st in stores) == {"region-sh": 2, "region-hz": 2}
        for store in stores:
            assert store.latitude is not None and store.longitude is not None
            assert store.address.startswith(("上海市", "杭州市"))
            assert OpeningHours.model_validate(store.opening_hours).mon  # open on Mondays
        roles = Counter(p.role for p in staff)
        assert roles["admin"] >= 1 and roles["field_engineer"] >= 1 and roles["staff"] >= 4
        managers = {p.region_id for p in staff if p.role == "regional_manager"}
        assert managers == {r.id for r in regions}
        store_managers = {p.home_store_id for p in staff if p.role == "store_manager"}
        assert store_managers == {st.id for st in stores}
        # The seeded purchases and touchpoints name their clerk's record, none is flagged.
        for model in (Purchase, Touchpoint):
            refs = set(s.scalars(select(model.staff_ref).distinct()))
            assert refs == {"stf-demo-sm-xuhui"}
            assert not s.scalar(select(func.count()).where(model.staff_unknown))
        # The edge demo's till sends S07: a staff member of the Xuhui store.
        s07 = s.scalars(select(Staff).where(Staff.code == "S07")).one()
        assert s07.home_store_id == "store-sh-xuhui" and s07.region_id == "region-sh"
