"""GET /customers through the API on the seeded demo: a real login per role, the filters as
query parameters, the page cursor, and the refusals the OpenAPI document declares."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.demo.seed import SeedResult
from tests.hub.callers import XUHUI_CLERK, CallerSpec, client_as


@pytest.fixture
def admin(sessions: sessionmaker[Session], seeded: SeedResult) -> TestClient:
    return client_as(sessions, CallerSpec("adm-lists", "admin"))


def _all(client: TestClient, **params: object) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    query = dict(params)
    while True:
        answer = client.get("/customers", params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        out += body["customers"]
        if body["next"] is None:
            return out
        query["after"] = body["next"]


def test_pages_through_the_cursor_reach_every_customer_once(admin: TestClient) -> None:
    whole = _all(admin, limit=200)
    paged = _all(admin, limit=3)
    assert [c["id"] for c in paged] == [c["id"] for c in whole]
    assert len({c["id"] for c in paged}) == len(paged) > 3


def test_phone_and_name_search(admin: TestClient) -> None:
    # cus-demo-01 is 王芳, +86 138 1234 5678 (held as its keyed hash only)
    found = _all(admin, phone="138 1234 5678")
    assert [c["id"] for c in found] == ["cus-demo-01"]
    assert found[0]["phone"] == "+86138****5678"  # an admin is shown masked phones
    named = _all(admin, q="王")
    assert "cus-demo-01" in [c["id"] for c in named]
    assert all(str(c["name"]).startswith("王") for c in named)


def test_a_clerk_is_shown_phones_and_only_their_store(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    clerk = client_as(sessions, XUHUI_CLERK)
    mine = _all(clerk)
    assert mine and "cus-walk-hz" not in [c["id"] for c in mine]
    elsewhere = _all(clerk, store_id="store-hz-xihu")  # only those also theirs
    assert {c["id"] for c in elsewhere} <= {m["id"] for m in mine}
    found = _all(clerk, phone="+8613812345678")
    assert [(c["id"], c["phone"]) for c in found] == [("cus-demo-01", "+8613812345678")]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"after": "bm90IGEgY3Vyc29y"}, ["query", "after"]),  # base64 of "not a cursor"
        ({"phone": "123"}, ["query", "phone"]),
        ({"custom": "nosuch:1"}, ["query", "custom"]),
        ({"after": "not base64!"}, ["query", "after"]),  # refused by the declared pattern
        ({"score_min": 101}, ["query", "score_min"]),
        ({"last_visit_after": "2026-12-01"}, ["query", "last_visit_after"]),  # no time, offset
    ],
)
def test_bad_parameters_are_422_naming_them(
    admin: TestClient, params: dict[str, object], where: list[str]
) -> None:
    answer = admin.get("/customers", params=params)
    assert answer.status_code == 422, answer.text
    assert [d["loc"] for d in answer.json()["detail"]] == [where]


def test_the_schema_declares_the_list_and_its_refusals(admin: TestClient) -> None:
    operation = admin.get("/openapi.json").json()["paths"]["/customers"]["get"]
    assert {"422", "403", "200"} <= set(operation["responses"])
    names = {p["name"] for p in operation["parameters"]}
    assert names == {
        "store_id", "region_id", "tag", "owner_staff_id", "score_min", "score_max",
        "last_visit_after", "last_visit_before", "custom", "stage", "q", "phone", "limit",
        "after",
    }  # fmt: skip


def test_a_regional_manager_may_not_search_by_name(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    regional = client_as(
        sessions, CallerSpec("reg-lists", "regional_manager", region_id="region-sh")
    )
    assert regional.get("/customers", params={"q": "王"}).status_code == 403
    names = [c["name"] for c in _all(regional)]
    assert names and all(n.endswith("*") or n == "Guest" for n in map(str, names))
