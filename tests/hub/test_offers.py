"""Offers: admins add and retire them, audited; the cache entries of the customers they
are for carry them at once (through the cache follower's queue)."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, CacheChange
from hub.demo.seed import SeedResult
from hub.gateways.cache import cached_customers
from tests.hub.callers import CallerSpec, client_as

POINTS, BP, SUGAR = "今日积分翻倍", "电子血压计会员价 8 折", "血糖试纸买二送一"  # hub/demo/data.py


def _offers(sessions: sessionmaker[Session], customer_id: str) -> list[str]:
    with sessions() as session:
        [entry] = cached_customers(session, [customer_id])
    return entry.offers


@pytest.fixture
def admin(sessions: sessionmaker[Session], seeded: SeedResult) -> TestClient:
    return client_as(sessions, CallerSpec("off-admin", "admin"))


def test_the_cache_carries_the_offers_for_each_customers_tags(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    # Demo data: 01 has 高血压, 02 has 糖尿病, 04 has no tags; the points offer is for all.
    assert _offers(sessions, "cus-demo-01") == [BP, POINTS]
    assert _offers(sessions, "cus-demo-02") == [POINTS, SUGAR]
    assert _offers(sessions, "cus-demo-04") == [POINTS]


def test_an_admin_adds_an_offer_audited_and_its_customers_are_queued(
    sessions: sessionmaker[Session], admin: TestClient
) -> None:
    ends = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    made = admin.post("/offers", json={"text": " 奶粉满减 ", "tags": ["母婴"], "ends_at": ends})
    assert made.status_code == 201, made.text
    offer = made.json()
    assert (offer["text"], offer["tags"]) == ("奶粉满减", ["母婴"])
    with sessions() as session:
        queued = set(session.execute(select(CacheChange.store_id, CacheChange.customer_id)))
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.entity == "offer")).all()
    # 母婴 in the demo: cus-demo-05 (Xuhui) and cus-demo-19 (Jing'an), at their home stores.
    assert {c for _s, c in queued} == {"cus-demo-05", "cus-demo-19"}
    assert ("store-sh-xuhui", "cus-demo-05") in queued
    assert (entry.action, entry.entity_id) == ("create", offer["id"])
    assert _offers(sessions, "cus-demo-05")[0] == "奶粉满减"
    assert "奶粉满减" not in _offers(sessions, "cus-demo-01")

    retired = admin.delete(f"/offers/{offer['id']}")
    assert retired.status_code == 200 and retired.json()["retired_at"] is not None
    assert admin.delete(f"/offers/{offer['id']}").status_code == 200  # twice is once
    assert "奶粉满减" not in _offers(sessions, "cus-demo-05")
    assert [o["id"] for o in admin.get("/offers").json()].count(offer["id"]) == 0
    assert [o["id"] for o in admin.get("/offers?retired=true").json()].count(offer["id"]) == 1
    with sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == offer["id"])
        ).all()
    assert sorted(actions) == ["create", "retire"]


def test_bad_offers_are_refused_and_not_yet_started_ones_wait(
    sessions: sessionmaker[Session], admin: TestClient
) -> None:
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    refused = admin.post("/offers", json={"text": "过期", "ends_at": past})
    assert refused.status_code == 422 and "ends_at" in refused.text
    assert admin.post("/offers", json={"text": ""}).status_code == 422
    assert admin.post("/offers", json={"text": "x", "colour": "red"}).status_code == 422
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    made = admin.post("/offers", json={"text": "明日特价", "starts_at": later})
    assert made.status_code == 201
    assert "明日特价" not in _offers(sessions, "cus-demo-04")


def test_staff_read_offers_and_only_admins_write_them(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    clerk = client_as(sessions, CallerSpec("off-clerk", "staff", store_id="store-sh-xuhui"))
    assert {o["text"] for o in clerk.get("/offers").json()} == {POINTS, BP, SUGAR}
    assert clerk.post("/offers", json={"text": "店员自定"}).status_code == 403
    assert clerk.delete("/offers/off-demo-bp").status_code == 403
    engineer = client_as(sessions, CallerSpec("off-fe", "field_engineer", region_id="region-sh"))
    assert engineer.get("/offers").status_code == 403
