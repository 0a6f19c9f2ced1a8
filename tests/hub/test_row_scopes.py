"""Row scopes and masking of the customer 360, on the demo chain (tenant-demo: Xuhui's
customers are cus-demo-01..10, Jing'an's 11..20; each has 2-5 purchases at home), read as
each role. Expectations follow the table in docs/security.md, worked out by hand."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Role, Scope
from hub.crm.customer_shown import show
from hub.crm.customer_view import customer_360, purchases_page, scoped_customer
from hub.crm.tags import is_health_tag
from hub.db.models import Customer, Purchase, Tenant, Touchpoint
from hub.demo.seed import SeedResult
from hub.errors import Forbidden, NotFound
from tests.hub.callers import CallerSpec, client_as
from tests.support.hub_auth import add_staff

XUHUI, JINGAN = "store-sh-xuhui", "store-sh-jingan"
T = "tenant-demo"
ADMIN = Scope(T, Role.ADMIN, "staff:st-admin", staff_id="st-admin")
REGIONAL = Scope(
    T,
    Role.REGIONAL_MANAGER,
    "staff:st-rm",
    "st-rm",
    frozenset({"region-sh"}),
    frozenset({XUHUI, JINGAN}),
)
JINGAN_MANAGER = Scope(T, Role.STORE_MANAGER, "staff:st-jm", "st-jm", store_ids=frozenset({JINGAN}))
XUHUI_CLERK = Scope(T, Role.STAFF, "staff:st-xc", "st-xc", store_ids=frozenset({XUHUI}))
ENGINEER = Scope(T, Role.FIELD_ENGINEER, "staff:st-fe", "st-fe", store_ids=frozenset())
OTHER_TENANT_ADMIN = Scope("tenant-other", Role.ADMIN, "staff:st-oa")


@pytest.fixture
def chain(sessions: sessionmaker[Session], seeded: SeedResult) -> sessionmaker[Session]:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(Tenant(id="tenant-other", name="Other", created_at=now))
    add_staff(sessions, "st-xc", "staff", store_id=XUHUI)
    with sessions.begin() as session:
        session.get_one(Customer, "cus-demo-11").owner_staff_id = "st-xc"  # Jing'an's, theirs
        # cus-demo-01 (Xuhui) once came to Jing'an, for advice:
        session.add(
            Touchpoint(
                tenant_id=T,
                customer_id="cus-demo-01",
                store_id=JINGAN,
                kind="service",
                channel="pos",
                at=now - timedelta(hours=1),
                staff_id="J01",
                detail="血压咨询",
            )
        )
    return sessions


def _view(sessions: sessionmaker[Session], scope: Scope, customer_id: str):  # type: ignore[no-untyped-def]
    with sessions() as session:
        return show(customer_360(session, scope, customer_id, limit=50))


def test_admin_reaches_every_customer_of_the_tenant_and_only_that_tenant(
    chain: sessionmaker[Session],
) -> None:
    view = _view(chain, ADMIN, "cus-demo-15")
    assert len(view.purchases.rows) == 2 + 14 % 4  # the seed's count for customer 15: 4
    with pytest.raises(NotFound):
        _view(chain, OTHER_TENANT_ADMIN, "cus-demo-15")


def test_a_store_manager_reaches_their_stores_customers_and_only_their_stores_rows(
    chain: sessionmaker[Session],
) -> None:
    assert _view(chain, JINGAN_MANAGER, "cus-demo-12").profile.home_store_id == JINGAN
    visitor = _view(chain, JINGAN_MANAGER, "cus-demo-01")  # served at Jing'an once
    assert visitor.purchases.rows == []  # their purchases were all at Xuhui
    assert [(t.store_id, t.detail) for t in visitor.touchpoints.rows] == [(JINGAN, "血压咨询")]
    with pytest.raises(NotFound):  # a Xuhui customer never served at Jing'an
        _view(chain, JINGAN_MANAGER, "cus-demo-02")


def test_staff_reach_their_stores_customers_and_their_own_wherever_they_shop(
    chain: sessionmaker[Session],
) -> None:
    own = _view(chain, XUHUI_CLERK, "cus-demo-11")  # home Jing'an, owned by this clerk
    assert {p.store_id for p in own.purchases.rows} == {JINGAN}
    assert len(own.purchases.rows) == 2 + 10 % 4
    assert _view(chain, XUHUI_CLERK, "cus-demo-03").profile.home_store_id == XUHUI
    with pytest.raises(NotFound):
        _view(chain, XUHUI_CLERK, "cus-demo-12")  # Jing'an's, not theirs


def test_field_engineers_see_no_customer_at_all(chain: sessionmaker[Session]) -> None:
    with pytest.raises(Forbidden), chain() as session:
        scoped_customer(session, ENGINEER, "cus-demo-01")


def test_the_scope_is_in_the_query_not_a_filter_after_it(chain: sessionmaker[Session]) -> None:
    # cus-demo-01's newest touchpoint is at Jing'an, an hour old; the newest purchase of all
    # is at Xuhui. A Xuhui purchase added as the very newest row must not crowd Jing'an's
    # manager's one-row page out: the limit applies to rows in scope.
    with chain.begin() as session:
        session.add(
            Purchase(
                tenant_id=T,
                customer_id="cus-demo-01",
                store_id=XUHUI,
                receipt_no="NEWEST",
                at=datetime.now(UTC),
                total=100,
                currency="CNY",
                terminal="POS-1",
            )
        )
        session.add(
            Purchase(
                tenant_id=T,
                customer_id="cus-demo-01",
                store_id=JINGAN,
                receipt_no="JINGAN-1",
                at=datetime.now(UTC) - timedelta(days=400),
                total=100,
                currency="CNY",
                terminal="POS-1",
            )
        )
    with chain() as session:
        customer = scoped_customer(session, JINGAN_MANAGER, "cus-demo-01")
        page = purchases_page(session, JINGAN_MANAGER, customer, limit=1)
    assert [p.receipt_no for p in page.rows] == ["JINGAN-1"]


def test_each_role_is_shown_what_the_table_says(chain: sessionmaker[Session]) -> None:
    # cus-demo-01: 王芳, +8613812345678, tags 高血压 (health) and 会员; card 01010501B00AC30B.
    clerk = _view(chain, XUHUI_CLERK, "cus-demo-01")
    assert (clerk.profile.name, clerk.profile.phone) == ("王芳", "+8613812345678")
    assert clerk.profile.tags == ["高血压", "会员"]
    assert all(p.items for p in clerk.purchases.rows)
    regional = _view(chain, REGIONAL, "cus-demo-01")
    assert (regional.profile.name, regional.profile.phone) == ("王*", "+86138****5678")
    assert regional.profile.tags == ["会员"]
    assert regional.purchases.rows and all(p.items is None for p in regional.purchases.rows)
    admin = _view(chain, ADMIN, "cus-demo-01")
    assert (admin.profile.name, admin.profile.phone) == ("王芳", "+86138****5678")
    assert admin.profile.tags == ["会员"]
    for view in (clerk, regional, admin):  # identifiers are masked for everyone
        cards = [i.value for i in view.identities if i.kind == "card_uid"]
        assert cards == ["************C30B"]


def test_a_store_out_of_scope_is_not_found_through_the_api(chain: sessionmaker[Session]) -> None:
    with client_as(chain, CallerSpec("st-jm", "store_manager", store_id=JINGAN)) as client:
        assert client.get(f"/stores/{JINGAN}/gateways").json()[0]["id"] == "gw-demo-2"
        assert client.get(f"/stores/{XUHUI}/gateways").status_code == 404
        assert client.get("/customers/cus-demo-02").status_code == 404
        assert client.get("/customers/cus-demo-01").status_code == 200
    with client_as(chain, CallerSpec("st-oa", "admin", tenant="tenant-other")) as client:
        assert client.get(f"/stores/{JINGAN}/gateways").status_code == 404
    with client_as(chain, CallerSpec("st-fe", "field_engineer", region_id="region-sh")) as client:
        assert client.get("/customers/cus-demo-01").status_code == 403
        assert client.get("/customers/cus-demo-01/purchases").status_code == 403


def test_health_tags_are_told_apart_from_the_rest() -> None:
    tags = ("高血压", "会员", "health:gout", "Diabetes", "老年", "母婴")
    assert [t for t in tags if is_health_tag(t)] == ["高血压", "health:gout", "Diabetes", "母婴"]
