"""The cache follower: writes outside the event stream reach the stores that cache the
customer, as upserts, or as deletes where the customer is no longer cached; exactly once
per queued row, whatever the number of followers; never for a write that rolled back."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.customer_changes import mark_changed, mark_stores
from hub.db.models import CacheChange, Identity
from hub.demo.seed import SeedResult
from hub.gateways.cache_deltas import StoreDelta
from hub.gateways.cache_follow import CacheFollower, follow_once
from tests.support.processes import wait_for

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
LIMIT = 256 * 1024
XUHUI, JINGAN = "store-sh-xuhui", "store-sh-jingan"


class Published:
    def __init__(self) -> None:
        self.deltas: list[StoreDelta] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, deltas: list[StoreDelta]) -> None:
        if self.fail:
            raise ConnectionError("broker gone")
        with self.lock:
            self.deltas.extend(deltas)

    def upserts(self, store: str) -> list[str]:
        return [u.customer_id for d in self.deltas if d.store_id == store for u in d.delta.upserts]

    def deletes(self, store: str) -> list[str]:
        return [c for d in self.deltas if d.store_id == store for c in d.delta.deletes]


def _queued(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(CacheChange)) or 0)


def test_a_marked_customer_goes_to_its_home_store_once(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        mark_changed(session, seeded.tenant_id, ["cus-demo-01", "cus-demo-11"], NOW)
    published = Published()
    assert follow_once(sessions, published, LIMIT) == 2
    assert published.upserts(XUHUI) == ["cus-demo-01"]  # demo data: 01 in Xuhui, 11 in Jing'an
    assert published.upserts(JINGAN) == ["cus-demo-11"]
    assert [d.gateway_ids for d in published.deltas] == [["gw-demo-2"], ["gw-demo-1"]]
    assert all(d.delta.base_version == d.delta.version - 1 for d in published.deltas)
    assert _queued(sessions) == 0
    assert follow_once(sessions, published, LIMIT) == 0


def test_a_failed_publish_leaves_the_changes_queued(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        mark_changed(session, seeded.tenant_id, ["cus-demo-02"], NOW)
    published = Published()
    published.fail = True
    with pytest.raises(ConnectionError):
        follow_once(sessions, published, LIMIT)
    assert _queued(sessions) == 1
    published.fail = False
    assert follow_once(sessions, published, LIMIT) == 1
    assert published.upserts(XUHUI) == ["cus-demo-02"]


def test_a_rolled_back_write_queues_nothing(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    session = sessions()
    with session.begin():
        mark_changed(session, seeded.tenant_id, ["cus-demo-03"], NOW)
        session.rollback()
    assert _queued(sessions) == 0


def test_a_customer_left_without_identifiers_is_deleted_where_it_was_cached(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    """As after a merge: the records' identifiers moved to the survivor."""
    with sessions.begin() as session:
        mark_changed(session, seeded.tenant_id, ["cus-demo-04", "cus-demo-05"], NOW)
        session.execute(
            update(Identity)
            .where(Identity.customer_id == "cus-demo-04")
            .values(customer_id="cus-demo-05")
        )
    published = Published()
    follow_once(sessions, published, LIMIT)
    assert published.upserts(XUHUI) == ["cus-demo-05"]
    assert published.deletes(XUHUI) == ["cus-demo-04"]
    survivor = next(u for d in published.deltas for u in d.delta.upserts)
    assert len(survivor.identifiers) >= 2  # 05's own and 04's card


def test_a_store_the_customer_does_not_belong_to_is_told_to_forget_them(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        mark_stores(session, seeded.tenant_id, [JINGAN], ["cus-demo-06"], NOW)
    published = Published()
    follow_once(sessions, published, LIMIT)
    assert published.deletes(JINGAN) == ["cus-demo-06"]
    assert published.upserts(JINGAN) == []


def test_followers_wake_on_commit_and_share_the_queue_without_doubles(
    engine: Engine, sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    published = Published()
    followers = [CacheFollower(engine, sessions, published, LIMIT, poll_seconds=30) for _ in "ab"]
    for follower in followers:
        follower.start()
    try:
        ids = [f"cus-demo-{n:02d}" for n in range(1, 21)]
        for customer_id in ids:  # one write each, as the API makes them
            with sessions.begin() as session:
                mark_changed(session, seeded.tenant_id, [customer_id], NOW)
        # poll_seconds=30: only the NOTIFY at commit can wake them this fast.
        wait_for("every change sent", lambda: _queued(sessions) == 0, timeout=10)
        wait_for(
            "20 upserts",
            lambda: len(published.upserts(XUHUI) + published.upserts(JINGAN)) == 20,
            10,
        )
    finally:
        for follower in followers:
            follower.stop()
    sent = sorted(published.upserts(XUHUI) + published.upserts(JINGAN))
    assert sent == ids  # each exactly once
    versions = [d.delta.version for d in published.deltas if d.store_id == XUHUI]
    assert len(set(versions)) == len(versions)
