"""POST /customers as the counter uses it: a new person is 201; the same person typed
another way is 200 with the customer already holding the identifier, who gains the rest.
Scoped by store, masked by role, audited; nothing raw is stored."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, Customer, Identity
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as

XUHUI, XIHU = "store-sh-xuhui", "store-hz-xihu"
MANAGER = CallerSpec("id-sm", "store_manager", store_id=XUHUI)
HZ_MANAGER = CallerSpec("id-hz", "store_manager", store_id=XIHU)
ADMIN = CallerSpec("id-admin", "admin")
REGIONAL = CallerSpec("id-rm", "regional_manager", region_id="region-sh")


@pytest.fixture
def callers(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[dict[str, TestClient]]:
    made = {s.login: client_as(sessions, s) for s in (MANAGER, HZ_MANAGER, ADMIN, REGIONAL)}
    yield made
    for client in made.values():
        client.close()


def _create(client: TestClient, **body: object) -> tuple[int, dict[str, object]]:
    response = client.post("/customers", json=body)
    return response.status_code, response.json()


def test_the_same_person_typed_two_ways_is_one_customer(
    callers: dict[str, TestClient], sessions: sessionmaker[Session]
) -> None:
    sm = callers[MANAGER.login]
    status, first = _create(
        sm, name="李娜", phones=["139-0171-2345"], birthday="1980-05-06", home_store_id=XUHUI
    )
    assert status == 201, first
    assert first["created"] is True and first["added"] == ["phone_hash"]
    customer = first["customer"]
    assert isinstance(customer, dict)
    status, again = _create(
        sm,
        name="李娜",
        phones=["+86 139 0171 2345"],
        emails=["Li.Na@Example.CN"],
        id_card_number="11010519491231002X",
        home_store_id=XUHUI,
    )
    assert status == 200, again
    assert again["created"] is False and again["matched_by"] == ["phone_hash"]
    assert sorted(again["added"]) == ["email", "id_hash"]  # type: ignore[arg-type]
    assert again["customer"]["id"] == customer["id"]  # type: ignore[index]
    status, third = _create(sm, phones=["（0086）139 0171 2345"], home_store_id=XUHUI)
    assert (status, third["customer"]["id"]) == (200, customer["id"])  # type: ignore[index]
    with sessions() as session:
        kinds = session.scalars(
            select(Identity.kind).where(Identity.customer_id == customer["id"])
        ).all()
        assert sorted(kinds) == ["email", "id_hash", "phone_hash"]
        row = session.get_one(Customer, customer["id"])
        assert row.phone is None and row.status == "member"
        # Neither the phone nor the ID number is anywhere in the database, raw.
        dump = session.execute(
            text("SELECT string_agg(t::text, ' ') FROM identities t")
        ).scalar_one()
        audit_dump = session.execute(
            text("SELECT string_agg(l::text, ' ') FROM audit.log l")
        ).scalar_one()
        for raw in ("13901712345", "11010519491231002X"):
            assert raw not in dump and raw not in audit_dump
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == customer["id"])
        ).all()
        assert list(actions) == ["create", "update", "update"]


def test_identifiers_are_masked_and_adding_a_held_one_names_its_holder(
    callers: dict[str, TestClient],
) -> None:
    sm = callers[MANAGER.login]
    _s, a = _create(sm, name="张伟", card_uids=["04A2 24B1 C35E80"], home_store_id=XUHUI)
    _s, b = _create(sm, name="张伟", member_no="VIP-8801", home_store_id=XUHUI)
    a_id, b_id = a["customer"]["id"], b["customer"]["id"]  # type: ignore[index]
    listed = sm.get(f"/customers/{a_id}/identities").json()["identities"]
    assert [i["kind"] for i in listed] == ["card_uid"]
    assert listed[0]["value"] != "04A224B1C35E80"
    held = sm.post(
        f"/customers/{b_id}/identities", json={"kind": "card_uid", "value": "04a224b1c35e80"}
    )
    assert held.status_code == 409 and a_id in held.json()["detail"]
    same = sm.post(
        f"/customers/{a_id}/identities", json={"kind": "card_uid", "value": "04A224B1C35E80"}
    )
    assert same.status_code == 200
    added = sm.post(
        f"/customers/{a_id}/identities", json={"kind": "phone", "value": "021 6234 5678"}
    )
    assert added.status_code == 201 and added.json()["kind"] == "phone_hash"
    gone = sm.delete(f"/customers/{a_id}/identities/{added.json()['id']}")
    assert gone.status_code == 200
    assert len(sm.get(f"/customers/{a_id}/identities").json()["identities"]) == 1
    bad = sm.post(f"/customers/{a_id}/identities", json={"kind": "phone", "value": "12345"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "value"]


def test_a_store_manager_creates_only_in_their_stores_and_reads_only_their_region(
    callers: dict[str, TestClient],
) -> None:
    sm, hz = callers[MANAGER.login], callers[HZ_MANAGER.login]
    assert _create(sm, name="钱", phones=["13755501234"], home_store_id=XIHU)[0] == 403
    assert _create(sm, name="钱", phones=["13755501234"])[0] == 422  # no store: which one?
    status, made = _create(hz, name="钱多多", phones=["137 5550 1234"], home_store_id=XIHU)
    assert status == 201
    hz_id = made["customer"]["id"]  # type: ignore[index]
    for path in ("", "/identities", "/duplicates", "/purchases"):
        read = sm.get(f"/customers/{hz_id}{path}")
        assert read.status_code == 404, (path, read.text)
    assert sm.get(f"/customers/{hz_id}").status_code == 404
    assert callers[REGIONAL.login].get(f"/customers/{hz_id}/identities").status_code == 404
    # The Shanghai manager typing the Hangzhou customer's phone learns nothing about them.
    status, refused = _create(sm, name="钱", phones=["+8613755501234"], home_store_id=XUHUI)
    assert status == 409 and hz_id not in str(refused)
    assert callers[ADMIN.login].get(f"/customers/{hz_id}/identities").status_code == 200


def test_names_are_masked_by_role(callers: dict[str, TestClient]) -> None:
    status, made = _create(
        callers[REGIONAL.login], name="欧阳明", phones=["13600002222"], birthday="1990-01-02",
        home_store_id=XUHUI,
    )  # fmt: skip
    assert status == 201
    assert made["customer"]["name"] == "欧阳*"  # type: ignore[index]
    assert made["birthday"] is None
    status, again = _create(callers[MANAGER.login], phones=["136-0000-2222"], home_store_id=XUHUI)
    assert status == 200
    assert again["customer"]["name"] == "欧阳明" and again["birthday"] == "1990-01-02"  # type: ignore[index]
