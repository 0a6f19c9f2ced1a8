"""Every GET route of the OpenAPI document, as every role, with ids in and out of scope
(the demo chain: Shanghai is in scope, Hangzhou is not). Callers log in for real. What
must hold for each role: an id out of scope is 404 (or 403 for a role the route refuses
outright), never an answer; no answer names a Hangzhou id; a customer is shown exactly as
the role's row of hub.auth.masking.SHOWN says."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.masking import SHOWN
from hub.auth.scope import Role
from hub.crm.funnel.pipelines import ensure_default
from hub.crm.imports.report import error_report
from hub.db.models import (
    Customer,
    Deal,
    Household,
    HouseholdMember,
    ImportJob,
    Lead,
    Pipeline,
    Tenant,
)  # fmt: skip
from hub.demo.seed import SeedResult
from tests.hub.activities.walk_records import activity_records
from tests.hub.callers import CallerSpec, client_as
from tests.hub.field_sales.walk_records import field_sales_records

CALLERS = {
    Role.ADMIN: CallerSpec("walk-admin", "admin"),
    Role.REGIONAL_MANAGER: CallerSpec("walk-rm", "regional_manager", region_id="region-sh"),
    Role.STORE_MANAGER: CallerSpec("walk-sm", "store_manager", store_id="store-sh-xuhui"),
    Role.STAFF: CallerSpec("walk-staff", "staff", store_id="store-sh-xuhui"),
    Role.FIELD_ENGINEER: CallerSpec("walk-fe", "field_engineer", region_id="region-sh"),
}
# path parameter -> (an id in every scoped role's scope, one out of it)
IDS = {
    "customer_id": ("cus-demo-01", "cus-walk-hz"),
    "store_id": ("store-sh-xuhui", "store-hz-xihu"),
    "region_id": ("region-sh", "region-hz"),
    "staff_id": ("stf-demo-xuhui-1", "stf-demo-xihu-1"),
    "lead_id": ("lead-walk-sh", "lead-walk-hz"),
    "pipeline_id": ("pl-walk-sh", "pl-walk-other"),  # the other: another tenant's
    "deal_id": ("deal-demo-01", "deal-walk-hz"),  # a Xuhui customer's, a Hangzhou one's
    "import_id": ("imp-walk-xuhui", "imp-walk-admin"),  # a Xuhui manager's job, an admin's
    "visit_id": ("visit-walk-sh", "visit-walk-hz"),  # tests/hub/activities/walk_records.py
    "plan_id": ("plan-walk-sh", "plan-walk-hz"),
    "task_id": ("task-walk-sh", "task-walk-hz"),
    "ticket_id": ("ticket-walk-sh", "ticket-walk-hz"),
    "household_id": ("hh-demo-wang", "hh-walk-hz"),  # the demo's: cus-demo-01's
    "request_id": (
        "fs-decide-walk-sh",
        "fs-decide-walk-hz",
    ),  # tests/hub/field_sales/walk_records.py
    "order_id": ("fs-order-walk-sh", "fs-order-walk-hz"),
}
# Tenant-wide records (every role of the tenant reads them): their "out" id is another
# tenant's, which is 404 for the admin too.
TENANT_WIDE = {"pipeline_id"}
# Called by WeCom, signed with its token (msg_signature), not by a logged-in caller.
SIGNED_BY_SENDER = {"/leads/wecom/callback"}
OUT_OF_SCOPE = [out for _, out in IDS.values()]


@pytest.fixture
def clients(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> Iterator[dict[Role, TestClient]]:
    now = datetime.now(UTC)
    with sessions.begin() as session:  # a Hangzhou customer: nobody's in Shanghai
        session.add(
            Customer(
                id="cus-walk-hz",
                tenant_id="tenant-demo",
                name="杭小西",
                phone="+8613900001111",
                home_store_id="store-hz-xihu",
                tags=["糖尿病"],
                created_at=now,
                updated_at=now,
            )
        )
        for lead_id, store in (
            ("lead-walk-sh", "store-sh-xuhui"),
            ("lead-walk-hz", "store-hz-xihu"),
        ):
            session.add(
                Lead(
                    id=lead_id,
                    tenant_id="tenant-demo",
                    source="web_form",
                    source_id=lead_id,
                    store_id=store,
                    customer_id="cus-walk-hz" if store == "store-hz-xihu" else None,
                    scored_at=now,
                    captured_at=now,
                    created_at=now,
                )
            )
    with sessions.begin() as session:
        _pipelines_and_deal(session, now)
        for job_id, stores in (("imp-walk-xuhui", ["store-sh-xuhui"]), ("imp-walk-admin", None)):
            session.add(_import_job(job_id, stores, now))
    activity_records(sessions, "sh", "cus-demo-01", "stf-demo-xuhui-1")
    activity_records(sessions, "hz", "cus-walk-hz", "stf-demo-xihu-1")
    for side, customer, rep in (("sh", "cus-demo-01", "stf-demo-xuhui-1"),
                                ("hz", "cus-walk-hz", "stf-demo-xihu-1")):  # fmt: skip
        field_sales_records(sessions, side, customer, rep, rep)
    with sessions.begin() as session:  # the Hangzhou customer's household
        session.add(Household(id="hh-walk-hz", tenant_id="tenant-demo", created_at=now))
        session.flush()
        session.add(
            HouseholdMember(
                customer_id="cus-walk-hz", tenant_id="tenant-demo", household_id="hh-walk-hz",
                relation="self", joined_at=now,
            )
        )  # fmt: skip
    made = {role: client_as(sessions, spec) for role, spec in CALLERS.items()}
    yield made
    for client in made.values():
        client.close()


def _pipelines_and_deal(session: Session, now: datetime) -> None:
    session.add(Tenant(id="tenant-walk-other", name="Other", created_at=now))
    session.flush()
    for pipeline_id, tenant in (
        ("pl-walk-sh", "tenant-demo"),
        ("pl-walk-other", "tenant-walk-other"),
    ):
        session.add(Pipeline(id=pipeline_id, tenant_id=tenant, name="walk", created_at=now))
    session.flush()
    default, _made = ensure_default(session, "tenant-demo")
    session.add(
        Deal(
            id="deal-walk-hz", tenant_id="tenant-demo", pipeline_id=default.pipeline.id,
            stage_id=default.stages[0].id, customer_id="cus-walk-hz", status="open",
            entered_stage_at=now, created_at=now, updated_at=now,
        )
    )  # fmt: skip


def _import_job(job_id: str, stores: list[str] | None, now: datetime) -> ImportJob:
    return ImportJob(
        id=job_id, tenant_id="tenant-demo", kind="customers", file_name="walk.xlsx",
        digest="0" * 64, status="done", error="", rows_total=0, rows_done=0, rows_ok=0,
        rows_failed=0, created_count=0, error_report=error_report([]), created_by="test:walk",
        stores=stores, created_at=now,
    )  # fmt: skip


def _get_routes(client: TestClient) -> list[str]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(p for p, m in paths.items() if "get" in m and p not in SIGNED_BY_SENDER)


def _fill(path: str, pick: int) -> str | None:
    names = re.findall(r"{(\w+)}", path)
    if any(n not in IDS for n in names):
        return None
    for name in names:
        path = path.replace(f"{{{name}}}", IDS[name][pick])
    return path


def test_every_get_route_as_every_role_in_and_out_of_scope(clients: dict[Role, TestClient]) -> None:
    routes = _get_routes(clients[Role.ADMIN])
    unfilled = [r for r in routes if _fill(r, 0) is None]
    assert unfilled == [], f"add these path parameters to IDS: {unfilled}"
    reached = set()
    for route in routes:
        for role, client in clients.items():
            inside = client.get(_fill(route, 0) or route)
            assert inside.status_code in (200, 403), (role, route, inside.text)
            if inside.status_code == 200:
                reached.add(route)
                if role is not Role.ADMIN:  # no answer names what is out of the scope
                    leaked = [i for i in OUT_OF_SCOPE if i in inside.text]
                    assert leaked == [], (role, route, leaked)
            if "{" not in route:
                continue
            outside = client.get(_fill(route, 1) or route)
            if role is Role.ADMIN and not TENANT_WIDE & set(re.findall(r"{(\w+)}", route)):
                assert outside.status_code in (200, 403), (role, route, outside.text)
            else:
                assert outside.status_code in (404, 403), (role, route, outside.text)
    assert reached == set(routes)  # every route answers some role


@pytest.mark.parametrize("role", sorted(SHOWN.keys() & CALLERS.keys()))
def test_a_customer_is_shown_as_the_roles_row_says(
    clients: dict[Role, TestClient], role: Role
) -> None:
    # cus-demo-01: 王芳, +8613812345678, tags 高血压 (health) and 会员 (docs/security.md).
    body = clients[role].get("/customers/cus-demo-01").json()
    shown = SHOWN[role]
    assert body["profile"]["name"] == ("王芳" if shown.name == "full" else "王*")
    phone = "+8613812345678" if shown.phone == "full" else "+86138****5678"
    assert body["profile"]["phone"] == phone
    assert ("高血压" in body["profile"]["tags"]) is shown.health_tags and "会员" in body["profile"][
        "tags"
    ]
    assert body["purchases"] and all(
        (p["items"] is not None) is shown.items for p in body["purchases"]
    )
    assert body["shown"] == shown._asdict()


def test_field_engineers_are_refused_every_customer_route(clients: dict[Role, TestClient]) -> None:
    customer_routes = [r for r in _get_routes(clients[Role.ADMIN]) if r.startswith("/customers")]
    assert customer_routes
    for route in customer_routes:
        assert clients[Role.FIELD_ENGINEER].get(_fill(route, 0) or route).status_code == 403
