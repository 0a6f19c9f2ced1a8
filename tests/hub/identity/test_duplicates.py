"""Likely duplicates by the configured matching rules, with the rules as reasons, both
records in the caller's scope, a page at a time; merged-away records drop out."""

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.duplicates.finder import find_pairs
from hub.crm.duplicates.rules import DEFAULT_RULES, MatchRule
from hub.crm.merge.service import merge
from hub.db.models import Customer
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.hub.identity.world import ADMIN

XUHUI, XIHU = "store-sh-xuhui", "store-hz-xihu"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MANAGER = CallerSpec("dup-sm", "store_manager", store_id=XUHUI)


def _customer(
    cid: str, name: str, store: str, birthday: date | None, phone: str | None
) -> Customer:
    return Customer(
        id=cid, tenant_id="tenant-demo", name=name, phone=phone, home_store_id=store,
        birthday=birthday, tags=[], created_at=NOW, updated_at=NOW,
    )  # fmt: skip


@pytest.fixture
def alike(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    may5 = date(1980, 5, 6)
    with sessions.begin() as session:
        session.add_all([
            _customer("cus-dup-1", "李 娜", XUHUI, may5, None),
            _customer("cus-dup-2", "李娜", XUHUI, may5, "+8613999990001"),
            _customer("cus-dup-3", "李娜", XUHUI, date(1981, 5, 6), "+8613999990001"),
            _customer("cus-dup-4", "李娜", XIHU, may5, None),  # Hangzhou
            _customer("cus-dup-5", "", XUHUI, None, None),  # blanks match nothing
            _customer("cus-dup-6", "", XUHUI, None, None),
        ])  # fmt: skip


@pytest.fixture
def manager(sessions: sessionmaker[Session], alike: None) -> Iterator[TestClient]:
    client = client_as(sessions, MANAGER)
    yield client
    client.close()


def test_pairs_come_with_the_rules_that_found_them(manager: TestClient) -> None:
    found = manager.get("/customers/cus-dup-2/duplicates").json()
    assert found == {
        "pairs": [
            {"first_id": "cus-dup-1", "second_id": "cus-dup-2", "reasons": ["name_and_birthday"]},
            {"first_id": "cus-dup-2", "second_id": "cus-dup-3", "reasons": ["same_phone"]},
        ],
        "next": None,
    }


def test_the_tenant_list_is_scoped_and_pages_by_keyset(
    manager: TestClient, sessions: sessionmaker[Session]
) -> None:
    seen, after = [], None
    while True:
        page = manager.get(
            "/duplicates", params={"limit": 1, **({"after": after} if after else {})}
        )
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [(p["first_id"], p["second_id"]) for p in body["pairs"]]
        after = body["next"]
        if after is None:
            break
    dups = [p for p in seen if p[0].startswith("cus-dup")]
    assert dups == [("cus-dup-1", "cus-dup-2"), ("cus-dup-2", "cus-dup-3")]  # no Hangzhou
    with sessions() as session:
        everyone = find_pairs(session, ADMIN, _rules(), limit=200).pairs
    ids = {(p.first_id, p.second_id) for p in everyone}
    assert {("cus-dup-1", "cus-dup-4"), ("cus-dup-2", "cus-dup-4")} <= ids
    assert manager.get("/customers/cus-dup-4/duplicates").status_code == 404
    assert manager.get("/duplicates", params={"after": "nonsense"}).status_code == 422


def test_rules_are_data(sessions: sessionmaker[Session], alike: None) -> None:
    rules = [MatchRule(name="same_store_and_birthday", fields=("home_store", "birthday"))]
    with sessions() as session:
        pairs = find_pairs(session, ADMIN, rules, customer_id="cus-dup-1").pairs
    assert [(p.second_id, p.reasons) for p in pairs] == [("cus-dup-2", ["same_store_and_birthday"])]


def test_a_merged_away_record_is_no_candidate(sessions: sessionmaker[Session], alike: None) -> None:
    with sessions.begin() as session:
        merge(session, ADMIN, "cus-dup-2", "cus-dup-1", NOW)
    with sessions() as session:
        pairs = find_pairs(session, ADMIN, _rules(), customer_id="cus-dup-2").pairs
    assert [(p.first_id, p.second_id) for p in pairs] == [
        ("cus-dup-2", "cus-dup-3"),
        ("cus-dup-2", "cus-dup-4"),  # the survivor kept its own name and birthday
    ]


def _rules() -> list[MatchRule]:
    return list(DEFAULT_RULES)
