"""Leads through the API, on PostgreSQL: the web form and the phone system with an API
key (grant leads:write), each once per its own id; customers found by phone however it is
typed; staff reading leads in their scope; every write audited."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.auth import api_keys
from hub.auth.scope import Role, Scope
from hub.db.models import AuditEntry, Lead
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import TENANT, hub_settings

FORM = {
    "form_id": "form-0001",
    "name": "王芳",
    "phone": "137 0571 2468",
    "note": "想了解血压计",
    "store_id": "store-sh-xuhui",
}


def _key(sessions: sessionmaker[Session], grants: list[str]) -> str:
    admin = Scope(TENANT, Role.ADMIN, "test:setup")
    with sessions.begin() as session:
        return api_keys.create(session, admin, "web form", grants, datetime.now(UTC)).key


@pytest.fixture
def api(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[TestClient]:
    client = TestClient(build_api(hub_settings(TENANT_KEY), sessions))
    client.headers["X-API-Key"] = _key(sessions, ["leads:write"])
    yield client
    client.close()


def _count(sessions: sessionmaker[Session], *where: object) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Lead).where(*where)) or 0


def test_a_web_form_lead_is_made_once_and_scored(
    api: TestClient, sessions: sessionmaker[Session]
) -> None:
    first = api.post("/leads", json=FORM)
    assert first.status_code == 201, first.text
    lead = first.json()
    # web_form 20 + phone known 10 + name known 5; a new (provisional) customer, no touches
    assert lead["score"] == 35
    assert [p["reason"] for p in lead["score_parts"]] == [
        "source web_form",
        "phone known",
        "name known",
    ]
    assert lead["name"] == "王*"  # an API key is shown a lead as an integration is
    again = api.post("/leads", json=FORM)
    assert again.status_code == 200
    assert again.json()["id"] == lead["id"]
    assert _count(sessions, Lead.source_id == "form-0001") == 1
    with sessions() as session:
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == lead["id"])
        ).all()
    assert audited == ["create"]


def test_one_phone_typed_three_ways_is_one_customer(api: TestClient) -> None:
    typed = ["137 0571 2468", "+86-137-0571-2468", "００８６１３７０５７１２４６８"]
    ids = set()
    for n, phone in enumerate(typed):
        made = api.post("/leads", json={**FORM, "form_id": f"f-{n}", "phone": phone})
        assert made.status_code == 201, made.text
        ids.add(made.json()["customer_id"])
    call = api.post(
        "/leads/phone-calls",
        json={
            "call_id": "call-77",
            "caller": "13705712468",
            "started_at": "2026-12-03T09:30:00+08:00",
            "duration_seconds": 95,
            "store_id": "store-sh-xuhui",
        },
    )
    assert call.status_code == 201, call.text
    assert call.json()["source"] == "phone_call"
    ids.add(call.json()["customer_id"])
    assert len(ids) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": None}, "phone or email"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"store_id": "store-nowhere"}, "store_id"),
        ({"form_id": ""}, "form_id"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    api: TestClient, sessions: sessionmaker[Session], change: dict[str, object], field: str
) -> None:
    answer = api.post("/leads", json={**FORM, **change})
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert _count(sessions) == 0


def test_a_key_needs_the_grant_and_a_caller_needs_a_key(
    api: TestClient, sessions: sessionmaker[Session]
) -> None:
    api.headers["X-API-Key"] = _key(sessions, ["stores:read"])
    assert api.post("/leads", json=FORM).status_code == 403
    del api.headers["X-API-Key"]
    assert api.post("/leads", json=FORM).status_code == 401
    assert _count(sessions) == 0


def test_staff_read_the_leads_of_their_store_only(
    api: TestClient, sessions: sessionmaker[Session]
) -> None:
    xuhui = api.post("/leads", json=FORM).json()["id"]
    hz = {**FORM, "form_id": "form-hz", "phone": "139 0000 1111", "store_id": "store-hz-xihu"}
    xihu = api.post("/leads", json=hz).json()["id"]
    clerk = client_as(sessions, CallerSpec("lead-clerk", "staff", store_id="store-sh-xuhui"))
    listed = clerk.get("/leads").json()
    assert [lead["id"] for lead in listed["leads"]] == [xuhui]
    shown = clerk.get(f"/leads/{xuhui}").json()
    assert (shown["name"], shown["note"]) == ("王芳", "想了解血压计")
    assert sum(p["points"] for p in shown["score_parts"]) == shown["score"]
    assert clerk.get(f"/leads/{xihu}").status_code == 404
    engineer = client_as(sessions, CallerSpec("lead-fe", "field_engineer", region_id="region-sh"))
    assert engineer.get("/leads").status_code == 403
    admin = client_as(sessions, CallerSpec("lead-admin", "admin"))
    assert {lead["id"] for lead in admin.get("/leads").json()["leads"]} == {xuhui, xihu}


def test_a_clerk_may_not_place_a_lead_in_another_store(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    clerk = client_as(sessions, CallerSpec("lead-clerk2", "staff", store_id="store-sh-xuhui"))
    refused = clerk.post("/leads", json={**FORM, "store_id": "store-hz-xihu"})
    assert refused.status_code == 403
    assert clerk.post("/leads", json=FORM).status_code == 201
    assert _count(sessions) == 1


def test_leads_page_newest_first(api: TestClient, sessions: sessionmaker[Session]) -> None:
    for n in range(3):
        at = f"2026-12-0{n + 1}T10:00:00+08:00"
        body = {**FORM, "form_id": f"p-{n}", "submitted_at": at}
        assert api.post("/leads", json=body).status_code == 201
    admin = client_as(sessions, CallerSpec("lead-pager", "admin"))
    first = admin.get("/leads", params={"limit": 2}).json()
    assert [lead["source_id"] for lead in first["leads"]] == ["p-2", "p-1"]
    rest = admin.get("/leads", params={"limit": 2, "before": first["next"]}).json()
    assert [lead["source_id"] for lead in rest["leads"]] == ["p-0"]
    assert rest["next"] is None
    assert admin.get("/leads", params={"before": "x"}).status_code == 422
