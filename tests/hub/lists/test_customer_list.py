"""The customer list on PostgreSQL with hand-built data (tests/hub/lists/world.py): every
filter, the caller's scope, name search on Chinese names, keyset pages with ties."""

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Scope
from hub.crm.customer_view import BadCursor
from hub.crm.lists import custom_filters
from hub.crm.lists.customer_list import CustomerPage, list_customers
from hub.crm.lists.filters import ListFilters
from hub.errors import Forbidden, Unprocessable
from tests.hub.lists import world
from tests.hub.lists.world import ADMIN, CLERK_B, MANAGER_A, OTHER_ADMIN, REGIONAL_S


@pytest.fixture
def built(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    world.build(sessions)
    return sessions


def _ids(sessions: sessionmaker[Session], scope: Scope, limit: int = 50, **given: Any) -> list[str]:
    """Every id of every page, in order."""
    out: list[str] = []
    after = None
    with sessions() as session:
        while True:
            page = list_customers(session, scope, ListFilters(**given), limit, after)
            out += [c.id for c in page.customers]
            if page.next_cursor is None:
                return out
            after = page.next_cursor


def _page(sessions: sessionmaker[Session], scope: Scope, **given: Any) -> CustomerPage:
    with sessions() as session:
        return list_customers(session, scope, ListFilters(**given))


def test_name_order_bytewise_after_case_folding(built: sessionmaker[Session]) -> None:
    # "" < "wang fang" < 张三丰 (三 U+4E09) < 张伟 (伟 U+4F1F) x2 < 张伟明 < 李伟 < 王芳
    expected = ["c07", "c06", "c05", "c01", "c02", "c03", "c04", "c08"]
    assert _ids(built, ADMIN) == expected
    assert _ids(built, ADMIN, limit=1) == expected
    assert _ids(built, ADMIN, limit=3) == expected


@pytest.mark.parametrize("limit", [1, 2, 4, 7, 25, 29, 30, 31])
def test_pages_cover_everyone_once_when_names_tie(built: sessionmaker[Session], limit: int) -> None:
    seen = _ids(built, OTHER_ADMIN, limit=limit)
    # 25 customers named 同名 (ties: then by id), then 5 named 同名二
    with built() as session:
        names = {
            c.id: c.name for c in list_customers(session, OTHER_ADMIN, ListFilters(), 200).customers
        }
    assert len(seen) == 30 and len(set(seen)) == 30
    assert [names[i] for i in seen] == ["同名"] * 25 + ["同名二"] * 5
    assert seen[:25] == sorted(seen[:25]) and seen[25:] == sorted(seen[25:])


def test_chinese_name_search_is_a_prefix(built: sessionmaker[Session]) -> None:
    assert _ids(built, ADMIN, q="张") == ["c05", "c01", "c02", "c03"]
    assert _ids(built, ADMIN, q="张伟") == ["c01", "c02", "c03"]
    assert _ids(built, ADMIN, q="张伟明") == ["c03"]
    assert _ids(built, ADMIN, q="伟") == []  # 李伟 and 张伟 end in 伟: not a prefix
    assert _ids(built, ADMIN, q="李") == ["c04"]
    assert _ids(built, ADMIN, q="WANG f") == ["c06"]  # case-folded
    assert _ids(built, ADMIN, q="%") == [] and _ids(built, ADMIN, q="_") == []  # no wildcards


def test_name_search_is_refused_to_roles_shown_family_names_only(
    built: sessionmaker[Session],
) -> None:
    with pytest.raises(Forbidden):
        _page(built, REGIONAL_S, q="王")
    shown = _page(built, REGIONAL_S).customers
    assert [(c.id, c.name) for c in shown] == [("c05", "张*"), ("c04", "李*"), ("c08", "王*")]


def test_store_and_region_filters(built: sessionmaker[Session]) -> None:
    assert _ids(built, ADMIN, store_id="s-a") == ["c06", "c01", "c02", "c04"]  # c04: visit
    assert _ids(built, ADMIN, region_id="r-n") == ["c07", "c06", "c01", "c02", "c03", "c04"]
    assert _ids(built, ADMIN, region_id="r-s") == ["c05", "c04", "c08"]
    assert _ids(built, ADMIN, store_id="s-o") == []  # another tenant's store
    assert _ids(built, ADMIN, region_id="nowhere") == []


def test_a_store_manager_sees_only_their_stores_customers(built: sessionmaker[Session]) -> None:
    assert _ids(built, MANAGER_A) == ["c06", "c01", "c02", "c04"]
    # another store, another region: only the customers who are also theirs
    assert _ids(built, MANAGER_A, store_id="s-c") == ["c04"]
    assert _ids(built, MANAGER_A, region_id="r-s") == ["c04"]
    assert _ids(built, MANAGER_A, store_id="s-b") == []
    assert _ids(built, MANAGER_A, q="王") == []  # 王芳 is s-c's
    # staff: their store's customers and the ones they own (c04, home s-c)
    assert _ids(built, CLERK_B) == ["c07", "c03", "c04"]
    assert _ids(built, OTHER_ADMIN, q="张") == []  # another tenant


def test_tag_and_owner_filters(built: sessionmaker[Session]) -> None:
    assert _ids(built, ADMIN, tag="会员") == ["c01"]
    assert _ids(built, ADMIN, owner_staff_id="stf-b") == ["c04"]
    # a health tag: matched for a role shown health tags, nobody for the others
    assert _ids(built, MANAGER_A, tag="高血压") == ["c06"]
    assert _ids(built, ADMIN, tag="高血压") == []
    assert _page(built, ADMIN, store_id="s-a").customers[0].tags == []  # and not shown


def test_score_is_the_best_lead_in_scope(built: sessionmaker[Session]) -> None:
    assert _ids(built, ADMIN, score_min=50) == ["c01", "c03", "c08"]
    assert _ids(built, ADMIN, score_max=60) == ["c03"]  # c01's best is 80
    assert _ids(built, ADMIN, score_min=50, score_max=85) == ["c01", "c03"]
    assert _ids(built, ADMIN, score_min=0) == ["c01", "c03", "c08"]  # no lead, no score
    scores = {c.id: c.score for c in _page(built, ADMIN).customers}
    assert scores == {"c01": 80, "c03": 55, "c08": 90} | {
        c: None for c in ("c02", "c04", "c05", "c06", "c07")
    }
    assert _ids(built, ADMIN, stage="lead") == ["c01", "c03", "c08"]
    assert _ids(built, CLERK_B, stage="lead") == ["c03"]


def _at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_last_visit_filters(built: sessionmaker[Session]) -> None:
    # c04's newest touchpoint (11-20) is a lead, not a visit: its last visit is 09-01
    assert _ids(built, ADMIN, last_visit_after=_at(10, 15)) == ["c07", "c01"]
    assert _ids(built, ADMIN, last_visit_before=_at(10, 15)) == ["c03", "c04"]
    assert _ids(built, ADMIN, last_visit_after=_at(9, 1), last_visit_before=_at(11, 1)) == [
        "c03",
        "c04",
    ]
    assert _ids(built, ADMIN, last_visit_after=datetime(2026, 11, 1, 10, tzinfo=UTC)) == [
        "c07",
        "c01",
    ]  # inclusive
    shown = {c.id: c.last_visit_at for c in _page(built, ADMIN).customers}
    assert shown["c04"] == datetime(2026, 9, 1, 10, tzinfo=UTC) and shown["c05"] is None
    # a store manager sees the visits in their stores only: c03's checkout is s-b's
    assert _ids(built, MANAGER_A, last_visit_before=_at(12, 1)) == ["c01", "c04"]


def _custom(sessions: sessionmaker[Session], *raw: str) -> list[str]:
    with sessions() as session:
        wanted = custom_filters.parse(session, world.T, list(raw))
    return _ids(sessions, ADMIN, custom=wanted)


def test_custom_field_filters(built: sessionmaker[Session]) -> None:
    assert _custom(built, "grade:gold") == ["c01"]
    assert _custom(built, "grade:silver") == []
    assert _custom(built, "size:12") == ["c01"] and _custom(built, "size:12.0") == ["c01"]
    assert _custom(built, "interests:瑜伽") == ["c03"]
    assert _custom(built, "grade:gold", "size:13") == []
    with pytest.raises(Unprocessable) as refused:
        _custom(built, "grade:platinum", "nosuch:1", "size:many", "since:2026-13-01", "plain")
    assert [msg.split(":")[0] for _, msg in refused.value.problems] == [
        "grade",
        "'nosuch",
        "size",
        "since",
        "'plain'",
    ]


def test_phone_is_an_exact_match_of_its_hash(built: sessionmaker[Session]) -> None:
    from hub.crm.identity_keys import phone_key
    from tests.hub.conftest import TENANT_KEY

    assert _ids(built, ADMIN, phone=phone_key(TENANT_KEY, "138 1234 0002")) == ["c02"]
    assert _ids(built, ADMIN, phone=phone_key(TENANT_KEY, "138 1234 0003")) == []
    assert _ids(built, MANAGER_A, phone=phone_key(TENANT_KEY, "+86 138-1234-0002")) == ["c02"]
    assert _ids(built, CLERK_B, phone=phone_key(TENANT_KEY, "13812340002")) == []  # not theirs


@pytest.mark.parametrize("bad", ["x", "bm90IGpzb24", "WzEsMl0", "WyJhIl0"])
def test_a_cursor_it_did_not_make_is_refused(built: sessionmaker[Session], bad: str) -> None:
    with pytest.raises(BadCursor), built() as session:
        list_customers(session, ADMIN, ListFilters(), 5, bad)
