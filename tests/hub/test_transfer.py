"""A leaving salesperson's book moves to named successors in one audited operation: by
round robin or by list, previewed first, history left where it is."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, Customer, Lead, Touchpoint
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.support.hub_auth import add_staff

XUHUI = "store-sh-xuhui"
TENANT = "tenant-demo"
BOOK = [f"cus-demo-{n:02d}" for n in range(1, 6)]


@pytest.fixture
def people(sessions: sessionmaker[Session], seeded: SeedResult) -> dict[str, str]:
    made = {
        "leaver": add_staff(sessions, "tr-leaver", "staff", store_id=XUHUI, password=None),
        "a": add_staff(sessions, "tr-a", "staff", store_id=XUHUI, password=None),
        "b": add_staff(sessions, "tr-b", "staff", store_id=XUHUI, password=None),
        "gone": add_staff(sessions, "tr-gone", "staff", store_id=XUHUI, password=None),
        "far": add_staff(sessions, "tr-far", "staff", store_id="store-hz-xihu", password=None),
        "fe": add_staff(sessions, "tr-fe", "field_engineer", region_id="region-sh", password=None),
    }
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.id.in_(BOOK)).values(owner_staff_id="tr-leaver")
        )
    return made


@pytest.fixture
def manager(sessions: sessionmaker[Session], people: dict[str, str]) -> Iterator[TestClient]:
    client = client_as(sessions, CallerSpec("tr-sm", "store_manager", store_id=XUHUI))
    client.post("/staff/tr-gone/leave")
    yield client
    client.close()


def _owners(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as session:
        rows = session.execute(
            select(Customer.id, Customer.owner_staff_id).where(Customer.id.in_(BOOK))
        )
        return dict(rows.all())


def _transfers(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "transfer")))


def test_a_preview_then_the_transfer_it_promised(
    sessions: sessionmaker[Session], manager: TestClient
) -> None:
    with sessions() as session:
        history = session.scalar(
            select(func.count()).select_from(Touchpoint).where(Touchpoint.customer_id.in_(BOOK))
        )
    body = {"rule": "round_robin", "successors": ["tr-a", "tr-b"]}
    preview = manager.post("/staff/tr-leaver/transfer", json={**body, "dry_run": True})
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    # Dealt in id order, by hand: 01 a, 02 b, 03 a, 04 b, 05 a.
    assert [(m["id"], m["to"]) for m in shown["moved"]] == [
        ("cus-demo-01", "tr-a"),
        ("cus-demo-02", "tr-b"),
        ("cus-demo-03", "tr-a"),
        ("cus-demo-04", "tr-b"),
        ("cus-demo-05", "tr-a"),
    ]
    assert shown["counts"] == {"tr-a": {"customer": 3}, "tr-b": {"customer": 2}}
    assert shown["done"] is False
    assert set(_owners(sessions).values()) == {"tr-leaver"} and _transfers(sessions) == []

    done = manager.post(
        "/staff/tr-leaver/transfer", json={**body, "plan_digest": shown["plan_digest"]}
    )
    assert done.status_code == 200 and done.json()["done"] is True
    assert _owners(sessions) == {m["id"]: m["to"] for m in shown["moved"]}
    [entry] = _transfers(sessions)
    assert entry.entity_id == "tr-leaver" and len(entry.after["moved"]) == 5
    with sessions() as session:  # history stays with the customers
        assert (
            session.scalar(
                select(func.count()).select_from(Touchpoint).where(Touchpoint.customer_id.in_(BOOK))
            )
            == history
        )
    again = manager.post("/staff/tr-leaver/transfer", json=body)
    assert (again.json()["done"], again.json()["moved"]) == (False, [])  # nothing left


def test_a_book_that_changed_since_the_preview_is_refused(
    sessions: sessionmaker[Session], manager: TestClient
) -> None:
    body = {"rule": "round_robin", "successors": ["tr-a"]}
    digest = manager.post("/staff/tr-leaver/transfer", json={**body, "dry_run": True}).json()[
        "plan_digest"
    ]
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.id == "cus-demo-06").values(owner_staff_id="tr-leaver")
        )
    stale = manager.post("/staff/tr-leaver/transfer", json={**body, "plan_digest": digest})
    assert stale.status_code == 409
    assert set(_owners(sessions).values()) == {"tr-leaver"} and _transfers(sessions) == []


def test_the_list_rule_must_name_every_customer_and_only_theirs(
    sessions: sessionmaker[Session], manager: TestClient
) -> None:
    partial = {c: "tr-a" for c in BOOK[:4]}
    missing = manager.post("/staff/tr-leaver/transfer", json={"rule": "list", "customers": partial})
    assert missing.status_code == 422 and "cus-demo-05" in missing.text
    foreign = {**partial, "cus-demo-05": "tr-b", "cus-demo-09": "tr-b"}
    unknown = manager.post("/staff/tr-leaver/transfer", json={"rule": "list", "customers": foreign})
    assert unknown.status_code == 422 and "cus-demo-09" in unknown.text
    whole = {**partial, "cus-demo-05": "tr-b"}
    done = manager.post("/staff/tr-leaver/transfer", json={"rule": "list", "customers": whole})
    assert done.status_code == 200
    assert _owners(sessions) == whole


@pytest.mark.parametrize(
    ("successor", "why"),
    [
        ("tr-gone", "not active"),
        ("tr-far", "not active"),
        ("tr-fe", "not active"),
        ("tr-leaver", "themselves"),
    ],
)
def test_successors_are_active_owners_in_the_callers_scope(
    sessions: sessionmaker[Session], manager: TestClient, successor: str, why: str
) -> None:
    body = {"rule": "round_robin", "successors": [successor]}
    refused = manager.post("/staff/tr-leaver/transfer", json=body)
    assert refused.status_code == 422 and why in refused.text
    assert set(_owners(sessions).values()) == {"tr-leaver"}


def test_who_may_transfer(sessions: sessionmaker[Session], people: dict[str, str]) -> None:
    clerk = client_as(sessions, CallerSpec("tr-clerk", "staff", store_id=XUHUI))
    body = {"rule": "round_robin", "successors": ["tr-a"]}
    assert clerk.post("/staff/tr-leaver/transfer", json=body).status_code == 403
    other = client_as(sessions, CallerSpec("tr-sm-hz", "store_manager", store_id="store-hz-xihu"))
    assert other.post("/staff/tr-leaver/transfer", json=body).status_code == 404
    empty = client_as(sessions, CallerSpec("tr-admin", "admin"))
    assert empty.post("/staff/tr-leaver/transfer", json={"rule": "round_robin"}).status_code == 422
    assert set(_owners(sessions).values()) == {"tr-leaver"}


def test_leads_follow_their_customers_successor(
    sessions: sessionmaker[Session], manager: TestClient
) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        for lead_id, customer_id in (("ld-tr-1", "cus-demo-02"), ("ld-tr-2", None)):
            session.add(
                Lead(id=lead_id, tenant_id=TENANT, source="web_form", source_id=lead_id,
                     customer_id=customer_id, owner_staff_id="tr-leaver", scored_at=now,
                     captured_at=now, created_at=now)
            )  # fmt: skip
    body = {"rule": "round_robin", "successors": ["tr-a", "tr-b"]}
    done = manager.post("/staff/tr-leaver/transfer", json=body)
    assert done.status_code == 200, done.text
    moved = {m["id"]: m["to"] for m in done.json()["moved"]}
    # Customers dealt a, b, a, b, a; cus-demo-02's lead goes with it to tr-b; the lead
    # without a customer takes the next turn, the sixth: tr-b.
    assert (moved["cus-demo-02"], moved["ld-tr-1"], moved["ld-tr-2"]) == ("tr-b", "tr-b", "tr-b")
    assert done.json()["counts"] == {"tr-a": {"customer": 3}, "tr-b": {"customer": 2, "lead": 2}}
    with sessions() as session:
        owners = dict(session.execute(select(Lead.id, Lead.owner_staff_id)).all())
    assert (owners["ld-tr-1"], owners["ld-tr-2"]) == ("tr-b", "tr-b")
