"""The organisation over HTTP on a seeded PostgreSQL: status codes, errors that say what is
wrong, scopes; callers are people of the seeded organisation, logged in for real."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.demo.seed import SeedResult
from tests.hub.callers import SeededCallers
from tests.hub.org_scopes import ADMIN, RM_SH, SM_XUHUI, STAFF_XUHUI


@pytest.fixture
def api(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[SeededCallers]:
    callers = SeededCallers(sessions)
    with callers.client:
        yield callers


NEW_PERSON = {
    "code": "S09",
    "name": "邵敏",
    "role": "staff",
    "home_store_id": "store-sh-jingan",
    "skills": ["mother-baby", "tcm"],
    "phone": "+8613801010109",
    "email": "s09@kangtai.example.com",
}


def test_staff_lifecycle(api: SeededCallers) -> None:
    client = api.as_(ADMIN)
    made = client.post("/staff", json=NEW_PERSON)
    assert made.status_code == 201, made.text
    person = made.json()
    assert (person["region_id"], person["status"], person["personal_hidden"]) == (
        "region-sh", "active", False
    )  # fmt: skip
    staff_id = person["id"]
    again = client.post("/staff", json=NEW_PERSON)
    assert again.status_code == 409 and "S09" in again.json()["detail"]
    changed = client.patch(f"/staff/{staff_id}", json={"skills": ["tcm"], "email": None})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["skills"], changed.json()["email"]) == (["tcm"], None)
    on = client.post(f"/staff/{staff_id}/shift", json={"on_shift": True})
    assert on.json()["on_shift"] is True
    gone = client.post(f"/staff/{staff_id}/leave")
    assert gone.status_code == 200
    assert (gone.json()["status"], gone.json()["on_shift"]) == ("left", False)
    assert gone.json()["left_at"] is not None
    listed = client.get("/staff", params={"status": "left"}).json()
    assert [p["id"] for p in listed["staff"]] == [staff_id]
    refused = client.post(f"/staff/{staff_id}/shift", json={"on_shift": True})
    assert refused.status_code == 409 and "left" in refused.json()["detail"]


def test_out_of_scope_answers_like_a_missing_record(api: SeededCallers) -> None:
    client = api.as_(RM_SH)
    hidden = client.get("/stores/store-hz-xihu")
    missing = client.get("/stores/store-nowhere")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json() == {"detail": "not found: store store-hz-xihu"}
    assert client.patch("/stores/store-hz-xihu", json={"name": "x"}).status_code == 404
    assert client.get("/staff/stf-demo-xihu-1").status_code == 404
    page = client.get("/stores").json()
    assert {s["id"] for s in page["stores"]} == {"store-sh-xuhui", "store-sh-jingan"}


def test_roles_without_the_right_get_403(api: SeededCallers) -> None:
    client = api.as_(STAFF_XUHUI)
    refused = client.patch("/stores/store-sh-xuhui", json={"status": "closed"})
    assert refused.status_code == 403 and "role" in refused.json()["detail"]
    client = api.as_(SM_XUHUI)
    promoted = client.patch("/staff/stf-demo-xuhui-1", json={"role": "store_manager"})
    assert promoted.status_code == 403
    assert client.post("/regions", json={"id": "region-bj", "name": "北京"}).status_code == 403


def test_staff_see_colleagues_without_their_phone(api: SeededCallers) -> None:
    client = api.as_(STAFF_XUHUI)
    manager = client.get("/staff/stf-demo-sm-xuhui").json()
    assert (manager["phone"], manager["email"], manager["personal_hidden"]) == (None, None, True)
    me = client.get("/staff/stf-demo-xuhui-1").json()
    assert me["phone"] == "+8613801010107" and me["personal_hidden"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_PERSON, "phone": "+8612345678"}, "phone"),
        ({**NEW_PERSON, "email": "nobody"}, "email"),
        ({**NEW_PERSON, "skills": ["Not A Slug"]}, "skills"),
        ({**NEW_PERSON, "role": "owner"}, "role"),
        ({**NEW_PERSON, "name": "Li\x00Na"}, "name"),  # was a 503: PostgreSQL refuses a NUL
        ({**NEW_PERSON, "name": "Li\nNa"}, "name"),
    ],
)
def test_bad_fields_are_422_naming_the_field(
    api: SeededCallers, body: dict[str, object], field: str
) -> None:
    answer = api.as_(ADMIN).post("/staff", json=body)
    assert answer.status_code == 422
    assert field in [str(part) for e in answer.json()["detail"] for part in e["loc"]]


def test_store_create_and_change(api: SeededCallers) -> None:
    client = api.as_(RM_SH)
    body = {
        "id": "store-sh-pudong",
        "region_id": "region-sh",
        "name": "浦东世纪大道店 Pudong Century Ave",
        "city": "上海",
        "address": "上海市浦东新区世纪大道100号",
        "coordinates": {"latitude": 31.2397, "longitude": 121.4998},
        "time_zone": "Asia/Shanghai",
        "opening_hours": {"mon": [["08:00", "22:00"]], "sat": [["09:00", "01:00"]]},
    }
    made = client.post("/stores", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["opening_hours"]["sat"] == [["09:00", "01:00"]]
    assert made.json()["opening_hours"]["tue"] == []
    moved = client.patch("/stores/store-sh-pudong", json={"region_id": "region-hz"})
    assert moved.status_code == 404  # a region outside theirs does not exist for them
    zone = client.patch("/stores/store-sh-pudong", json={"time_zone": "Asia/Shanghia"})
    assert zone.status_code == 422
    gateways = client.get("/stores/store-sh-xuhui/gateways")
    assert [g["id"] for g in gateways.json()] == ["gw-demo-1"]  # the old route stays


def test_lists_page_and_filter(api: SeededCallers) -> None:
    client = api.as_(ADMIN)
    first = client.get("/staff", params={"limit": 5}).json()
    second = client.get("/staff", params={"limit": 5, "after": first["next"]}).json()
    assert len(first["staff"]) == len(second["staff"]) == 5
    assert first["staff"][-1]["id"] < second["staff"][0]["id"]
    on_shift = client.get("/staff", params={"on_shift": "true", "region": "region-hz"}).json()
    assert {p["id"] for p in on_shift["staff"]} == {
        "stf-demo-sm-xihu", "stf-demo-xihu-1", "stf-demo-sm-binjiang", "stf-demo-binjiang-1"
    }  # fmt: skip
    engineers = client.get("/staff", params={"role": "field_engineer"}).json()
    assert [p["code"] for p in engineers["staff"]] == ["F01"]
    regions = client.get("/regions").json()
    assert [r["id"] for r in regions["regions"]] == ["region-hz", "region-sh"]
