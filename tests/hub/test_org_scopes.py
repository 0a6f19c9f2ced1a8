"""Who sees which regions, stores and staff, applied in SQL (docs/security.md,
"Organisation"); out of scope is NotFound, exactly like a record that does not exist."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Scope
from hub.crm.org import regions, staff, stores
from hub.db import make_engine, make_session_factory, migrate
from hub.db.models import Tenant
from hub.demo import data as demo
from hub.demo.seed import seed_demo
from hub.errors import NotFound
from tests.hub.conftest import TENANT_KEY
from tests.hub.org_scopes import ADMIN, ENGINEER, RM_SH, SM_XUHUI, STAFF_XUHUI, STRANGER
from tests.support.postgres import scratch_database

SH_STORES = {"store-sh-xuhui", "store-sh-jingan"}
ALL_STORES = SH_STORES | {"store-hz-xihu", "store-hz-binjiang"}
XUHUI_STAFF = {"stf-demo-sm-xuhui", "stf-demo-xuhui-1"}
SH_STAFF = XUHUI_STAFF | {"stf-demo-rm-sh", "stf-demo-sm-jingan", "stf-demo-jingan-1"}


ALL_STAFF = {p.id for p in demo.STAFF}


@pytest.fixture(scope="module")
def org() -> Iterator[sessionmaker[Session]]:
    """One seeded database for the module: these tests only read."""
    with scratch_database() as url:
        migrate(url)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        seed_demo(sessions, TENANT_KEY)
        with sessions.begin() as s:  # a second tenant, to be invisible
            s.add(Tenant(id="tenant-other", name="Other", created_at=datetime.now(UTC)))
        yield sessions
        engine.dispose()


def _ids(sessions: sessionmaker[Session], read: Callable[[Session], Any]) -> set[str]:
    with sessions() as s:
        page = read(s)
        return {getattr(r, "staff", r).id for r in page.rows}


@pytest.mark.parametrize(
    ("scope", "region_ids", "store_ids", "staff_ids"),
    [
        (ADMIN, {"region-sh", "region-hz"}, ALL_STORES, ALL_STAFF),
        (RM_SH, {"region-sh"}, SH_STORES, SH_STAFF),
        (SM_XUHUI, {"region-sh"}, {"store-sh-xuhui"}, XUHUI_STAFF),
        (STAFF_XUHUI, {"region-sh"}, {"store-sh-xuhui"}, XUHUI_STAFF),
        (ENGINEER, {"region-sh", "region-hz"}, ALL_STORES, ALL_STAFF),
        (STRANGER, set(), set(), set()),
    ],
    ids=["admin", "regional", "store-manager", "staff", "engineer", "other-tenant"],
)
def test_each_role_lists_exactly_its_scope(
    org: sessionmaker[Session],
    scope: Scope,
    region_ids: set[str],
    store_ids: set[str],
    staff_ids: set[str],
) -> None:
    assert _ids(org, lambda s: regions.list_regions(session=s, scope=scope)) == region_ids
    assert _ids(org, lambda s: stores.list_stores(session=s, scope=scope)) == store_ids
    assert _ids(org, lambda s: staff.list_staff(session=s, scope=scope)) == staff_ids


@pytest.mark.parametrize(
    ("scope", "get"),
    [
        (RM_SH, lambda s, sc: stores.get_store(session=s, scope=sc, store_id="store-hz-xihu")),
        (RM_SH, lambda s, sc: regions.get_region(session=s, scope=sc, region_id="region-hz")),
        (SM_XUHUI, lambda s, sc: stores.get_store(session=s, scope=sc, store_id="store-sh-jingan")),
        (SM_XUHUI, lambda s, sc: staff.get_staff(session=s, scope=sc, staff_id="stf-demo-rm-sh")),
        (STAFF_XUHUI, lambda s, sc: staff.get_staff(session=s, scope=sc,
                                                    staff_id="stf-demo-jingan-1")),
        (STRANGER, lambda s, sc: stores.get_store(session=s, scope=sc, store_id="store-sh-xuhui")),
        (ADMIN, lambda s, sc: stores.get_store(session=s, scope=sc, store_id="store-nowhere")),
    ],
)  # fmt: skip
def test_out_of_scope_is_not_found(
    org: sessionmaker[Session], scope: Scope, get: Callable[[Session, Scope], Any]
) -> None:
    with org() as s, pytest.raises(NotFound):
        get(s, scope)


@pytest.mark.parametrize(
    ("scope", "sees"),
    [(ADMIN, True), (RM_SH, True), (SM_XUHUI, True), (STAFF_XUHUI, False), (ENGINEER, False)],
)
def test_phone_and_email_by_role(org: sessionmaker[Session], scope: Scope, sees: bool) -> None:
    with org() as s:
        record = staff.get_staff(session=s, scope=scope, staff_id="stf-demo-sm-xuhui")
    assert record.personal_hidden is not sees
    assert (record.phone == "+8613801010101") is sees
    assert (record.email == "s01@kangtai.example.com") is sees
    assert record.staff.name == "陆佳怡"  # the name is for everyone in scope


def test_everyone_sees_their_own_phone(org: sessionmaker[Session]) -> None:
    with org() as s:
        me = staff.get_staff(session=s, scope=STAFF_XUHUI, staff_id="stf-demo-xuhui-1")
        engineer = staff.get_staff(session=s, scope=ENGINEER, staff_id="stf-demo-fe-1")
    assert (me.phone, engineer.phone) == ("+8613801010107", "+8613801010901")


def test_filters_and_pages(org: sessionmaker[Session]) -> None:
    def ids(**kw: Any) -> list[str]:
        with org() as s:
            where = staff.StaffFilter(**kw)
            return [r.staff.id for r in staff.list_staff(session=s, scope=ADMIN, where=where).rows]

    assert ids(role="store_manager") == [
        "stf-demo-sm-binjiang", "stf-demo-sm-jingan", "stf-demo-sm-xihu", "stf-demo-sm-xuhui"
    ]  # fmt: skip
    assert ids(skill="diabetes-care") == ["stf-demo-binjiang-1", "stf-demo-xuhui-1"]
    assert ids(store_id="store-hz-xihu") == ["stf-demo-sm-xihu", "stf-demo-xihu-1"]
    assert set(ids(region_id="region-hz")) == {
        "stf-demo-rm-hz", "stf-demo-sm-xihu", "stf-demo-xihu-1", "stf-demo-sm-binjiang",
        "stf-demo-binjiang-1",
    }  # fmt: skip
    assert ids(on_shift=False) == ["stf-demo-admin", "stf-demo-fe-1", "stf-demo-rm-hz",
                                   "stf-demo-rm-sh"]  # fmt: skip
    assert ids(status="left") == []
    with org() as s:
        first = staff.list_staff(session=s, scope=ADMIN, limit=5)
        second = staff.list_staff(session=s, scope=ADMIN, limit=5, after=first.next_cursor)
        last = staff.list_staff(session=s, scope=ADMIN, limit=5, after=second.next_cursor)
    pages = [[r.staff.id for r in p.rows] for p in (first, second, last)]
    assert [len(p) for p in pages] == [5, 5, 2] and last.next_cursor is None
    flat = [staff_id for page in pages for staff_id in page]
    assert flat == sorted(set(flat))  # id order, no repeats


def test_stores_filter_by_region_and_status(org: sessionmaker[Session]) -> None:
    with org() as s:
        hz = stores.list_stores(session=s, scope=ADMIN, region_id="region-hz")
        closed = stores.list_stores(session=s, scope=ADMIN, status="closed")
    assert {st.id for st in hz.rows} == {"store-hz-xihu", "store-hz-binjiang"}
    assert list(closed.rows) == []
