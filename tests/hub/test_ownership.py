"""Store ownership: areas on the map, the tenant's rule, and what the cache tells a store
about a customer who belongs to another ("bought 3x at ...")."""

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.org.areas import PolygonArea, RadiusArea, contains, distance_m
from hub.crm.ownership import owners
from hub.db.models import AuditEntry, CacheChange, Customer, Purchase, Store, Tenant, Touchpoint
from hub.demo.seed import SeedResult
from hub.gateways.cache import cached_customers
from tests.hub.callers import CallerSpec, client_as

NOW = datetime.now(UTC)
XUHUI, JINGAN = "store-sh-xuhui", "store-sh-jingan"
# A square of about 2.2 km around Jing'an temple, corners as [lat, lon].
JINGAN_SQUARE = [(31.215, 121.435), (31.235, 121.435), (31.235, 121.460), (31.215, 121.460)]


def test_distances_agree_with_the_spherical_law_of_cosines() -> None:
    """A second formula, computed here, as the known answer (0.1 deg of longitude at
    31.2 N is about 9.5 km)."""
    r = 6_371_008.8
    p = math.radians(31.2)
    cosines = r * math.acos(math.sin(p) ** 2 + math.cos(p) ** 2 * math.cos(math.radians(0.1)))
    assert distance_m(31.2, 121.4, 31.2, 121.5) == pytest.approx(cosines, abs=0.5)
    assert 9500 < cosines < 9520


def test_areas_hold_what_lies_inside_them() -> None:
    circle = RadiusArea(kind="radius", latitude=31.1955, longitude=121.4387, radius_m=1000.0)
    assert contains(circle, 31.1955, 121.4387)
    assert contains(circle, 31.2040, 121.4387)  # 0.0085 deg north: about 945 m
    assert not contains(circle, 31.2050, 121.4387)  # about 1056 m
    square = PolygonArea(kind="polygon", points=JINGAN_SQUARE)
    assert contains(square, 31.225, 121.445)
    assert not contains(square, 31.225, 121.470)  # east of it
    assert not contains(square, 31.240, 121.445)  # north of it
    with pytest.raises(ValidationError):
        PolygonArea(kind="polygon", points=JINGAN_SQUARE[:2])
    with pytest.raises(ValidationError):
        RadiusArea(kind="radius", latitude=91.0, longitude=0.0, radius_m=10.0)


def _rule(sessions: sessionmaker[Session], tenant: str, rule: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Tenant).where(Tenant.id == tenant).values(ownership_rule=rule))


def _visit(session: Session, tenant: str, customer: str, store: str, days_ago: float) -> None:
    session.add(
        Touchpoint(
            tenant_id=tenant,
            customer_id=customer,
            store_id=store,
            kind="visit",
            channel="nfc",
            at=NOW - timedelta(days=days_ago),
        )
    )


def _visits(session: Session, customer: str, store: str) -> int:
    """Visits within the last 90 days, as counted here (the seed may have made some)."""
    found = session.scalar(
        select(func.count())
        .select_from(Touchpoint)
        .where(
            Touchpoint.customer_id == customer,
            Touchpoint.store_id == store,
            Touchpoint.kind.in_(["visit", "checkout"]),
            Touchpoint.at >= NOW - timedelta(days=90),
        )
    )
    return int(found or 0)


def _purchase(session: Session, tenant: str, customer: str, store: str, n: int) -> None:
    session.add(
        Purchase(
            tenant_id=tenant,
            customer_id=customer,
            store_id=store,
            receipt_no=f"own-{customer}-{n}",
            at=NOW - timedelta(days=n),
            total=1000,
        )
    )


def test_each_rule_names_its_store_and_falls_back_to_the_home_store(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    tenant = seeded.tenant_id
    with sessions.begin() as session:  # cus-demo-02 is homed in Xuhui (demo data)
        seeded_here = _visits(session, "cus-demo-02", XUHUI)
        for days in range(100, 100 + seeded_here + 5):  # outside the 90 days: not counted
            _visit(session, tenant, "cus-demo-02", JINGAN, days)
        for days in range(seeded_here + 1):  # one more than Xuhui within them
            _visit(session, tenant, "cus-demo-02", JINGAN, days + 0.5)
        session.execute(
            update(Customer)
            .where(Customer.id == "cus-demo-03")
            .values(latitude=31.225, longitude=121.445)
        )
        session.execute(
            update(Store)
            .where(Store.id == JINGAN)
            .values(area={"kind": "polygon", "points": JINGAN_SQUARE})
        )
    ids = ["cus-demo-02", "cus-demo-03", "cus-demo-04"]
    with sessions() as session:
        assert {c: o.store_id for c, o in owners(session, ids, NOW).items()} == dict.fromkeys(
            ids, XUHUI
        )
    _rule(sessions, tenant, "most_visits_90d")
    with sessions() as session:
        found = owners(session, ids, NOW)
    assert found["cus-demo-02"].store_id == JINGAN  # one visit more within the 90 days
    assert found["cus-demo-03"].store_id == XUHUI  # no visits: home store
    _rule(sessions, tenant, "area")
    with sessions() as session:
        found = owners(session, ids, NOW)
    assert found["cus-demo-03"].store_id == JINGAN  # lives inside Jing'an's square
    assert found["cus-demo-02"].store_id == XUHUI  # no address: home store


def test_the_nearest_area_wins_where_two_overlap(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        for store, lat, lon in ((XUHUI, 31.1955, 121.4387), (JINGAN, 31.2290, 121.4550)):
            area = {"kind": "radius", "latitude": lat, "longitude": lon, "radius_m": 8000.0}
            session.execute(update(Store).where(Store.id == store).values(area=area))
        session.execute(  # 1.1 km from Jing'an's centre, 4.6 km from Xuhui's
            update(Customer)
            .where(Customer.id == "cus-demo-05")
            .values(latitude=31.2190, longitude=121.4550)
        )
    _rule(sessions, seeded.tenant_id, "area")
    with sessions() as session:
        assert owners(session, ["cus-demo-05"], NOW)["cus-demo-05"].store_id == JINGAN


def test_a_store_is_told_where_the_customer_belongs_and_what_they_bought_there(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    tenant = seeded.tenant_id
    with sessions.begin() as session:
        before = session.scalar(
            select(func.count())
            .select_from(Purchase)
            .where(Purchase.customer_id == "cus-demo-06", Purchase.store_id == JINGAN)
        )
        for n in range(3):
            _purchase(session, tenant, "cus-demo-06", JINGAN, n)
            _visit(session, tenant, "cus-demo-06", JINGAN, n)
    _rule(sessions, tenant, "most_visits_90d")
    with sessions() as session:
        [entry] = cached_customers(session, ["cus-demo-06"])
        name = session.get_one(Store, JINGAN).name
    assert (entry.home_store_id, entry.home_store_name) == (JINGAN, name)
    assert entry.home_store_purchases == (before or 0) + 3


def _client(sessions: sessionmaker[Session], login: str, role: str, **where: Any) -> TestClient:
    return client_as(sessions, CallerSpec(login, role, **where))


def test_admins_set_the_rule_audited_and_every_cache_follows(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = _client(sessions, "own-admin", "admin")
    manager = _client(sessions, "own-sm", "store_manager", store_id=XUHUI)
    assert admin.get("/tenant").json()["ownership_rule"] == "home_store"
    refused = manager.patch("/tenant", json={"ownership_rule": "area"})
    assert refused.status_code == 403
    bad = admin.patch("/tenant", json={"ownership_rule": "nearest"})
    assert bad.status_code == 422 and "ownership_rule" in bad.text
    changed = admin.patch("/tenant", json={"ownership_rule": "area"})
    assert changed.status_code == 200 and changed.json()["ownership_rule"] == "area"
    with sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.entity == "tenant")).all()
        assert (entry.before, entry.after) == (
            {"ownership_rule": "home_store"},
            {"ownership_rule": "area"},
        )
        queued = session.scalars(select(CacheChange.customer_id).distinct()).all()
        customers = session.scalars(
            select(Customer.id).where(Customer.tenant_id == seeded.tenant_id)
        ).all()
    assert set(queued) == set(customers)  # demo customers all have a home store
    assert manager.get("/tenant").json()["ownership_rule"] == "area"


def test_areas_are_set_by_admins_and_regional_managers_only(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    area = {"kind": "radius", "latitude": 31.1955, "longitude": 121.4387, "radius_m": 3000.0}
    manager = _client(sessions, "own-sm2", "store_manager", store_id=XUHUI)
    regional = _client(sessions, "own-rm", "regional_manager", region_id="region-sh")
    assert manager.patch(f"/stores/{XUHUI}", json={"area": area}).status_code == 403
    assert manager.patch(f"/stores/{XUHUI}", json={"address": "天钥桥路 1 号"}).status_code == 200
    two_points = {"kind": "polygon", "points": JINGAN_SQUARE[:2]}
    bad = regional.patch(f"/stores/{JINGAN}", json={"area": two_points})
    assert bad.status_code == 422 and "points" in bad.text
    made = regional.patch(f"/stores/{XUHUI}", json={"area": area})
    assert made.status_code == 200, made.text
    assert regional.get(f"/stores/{XUHUI}").json()["area"] == area
    cleared = regional.patch(f"/stores/{XUHUI}", json={"area": None})
    assert cleared.status_code == 200 and cleared.json()["area"] is None
