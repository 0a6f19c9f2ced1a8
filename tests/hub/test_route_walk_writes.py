"""Every write route of the OpenAPI document, as every role, on a record in scope and one
out of it (Shanghai is in every scoped caller's scope, Hangzhou is not). Callers log in
for real. The expected outcome of each is the table "Writes by role" in docs/security.md,
read here: a write made is 2xx and leaves an audit entry carrying the request id; a write
refused (403, or 404 out of scope) leaves none."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.auth import api_keys
from hub.auth.scope import Role, Scope
from hub.crm import offers
from hub.crm.custom_fields import definitions
from hub.crm.custom_fields.definitions import FieldDraft
from hub.crm.funnel import deals
from hub.crm.funnel.deals import DealDraft
from hub.crm.merge import service as merge_service
from hub.crm.offers import OfferDraft
from hub.db.models import AuditEntry, Customer, Identity, Tenant
from hub.demo.seed import SeedResult
from tests.hub.activities.walk_records import activity_records
from tests.hub.callers import CallerSpec, client_as
from tests.hub.field_sales.walk_records import field_sales_records
from tests.hub.households.walk_targets import Side, household_attempts, household_targets
from tests.support.hub_auth import add_staff

SECURITY_MD = Path(__file__).parents[2] / "docs" / "security.md"
OWN_SESSION = {"POST /auth/token", "POST /auth/refresh", "POST /auth/logout"}
SIGNED_BY_SENDER = {"POST /leads/wecom/callback"}  # WeCom's msg_signature, no login
CALLERS = {
    Role.ADMIN: CallerSpec("ww-admin", "admin"),
    Role.REGIONAL_MANAGER: CallerSpec("ww-rm", "regional_manager", region_id="region-sh"),
    Role.STORE_MANAGER: CallerSpec("ww-sm", "store_manager", store_id="store-sh-xuhui"),
    Role.STAFF: CallerSpec("ww-staff", "staff", store_id="store-sh-xuhui"),
    Role.FIELD_ENGINEER: CallerSpec("ww-fe", "field_engineer", region_id="region-sh"),
}
OTHER_TENANT = "tenant-walk-other"
HZ_CUSTOMER = "cus-ww-hz"  # homed in Hangzhou: in no scoped caller's scope
STAFF_OPS = ("PATCH", "leave", "shift", "login", "transfer")


def written_table() -> dict[str, dict[Role, bool]]:
    """The "Writes by role" table of docs/security.md: operation -> role -> may write."""
    text = SECURITY_MD.read_text()
    section = text.split("## Writes by role", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("| ")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    roles = [Role(name) for name in header[1:]]
    table = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        table[cells[0].strip("`")] = {
            role: {"yes": True, "no": False}[cell]
            for role, cell in zip(roles, cells[1:], strict=True)
        }
    return table


@dataclass(frozen=True)
class Attempt:
    method: str
    path: str
    body: dict[str, Any] | None
    upload: tuple[str, bytes] | None = None  # a multipart file (kind: the body's form field)


@dataclass(frozen=True)
class Targets:
    """Records each role's writes act on, so no role's write changes another's target."""

    tag: str
    staff_in: dict[str, str]  # op -> a Xuhui colleague (role staff)
    staff_out: dict[str, str]  # op -> a Hangzhou staff member
    key_in: str
    key_out: str  # another tenant's key
    offer_in: str
    offer_out: str  # another tenant's offer
    field_in: str
    field_out: str  # another tenant's custom field
    deal_in: str  # a Xuhui customer's open deal
    deal_out: str  # a Hangzhou customer's open deal
    activity_in: dict[str, str]  # kind -> a visit, plan, task, ticket of a Shanghai customer
    activity_out: dict[str, str]  # the same of a Hangzhou customer
    households: dict[bool, Side]  # inside / outside -> a household's records
    identity_in: int = 0  # of cus-demo-01
    identity_out: int = 0  # of the Hangzhou customer
    merge_in: str = ""  # of two Xuhui customers
    merge_out: str = ""  # of two Hangzhou customers
    field_sales_in: dict[str, str] = field(default_factory=dict)  # walk_records.py kinds
    field_sales_out: dict[str, str] = field(default_factory=dict)


def attempt(operation: str, t: Targets, inside: bool) -> Attempt | None:
    """The request of `operation` on a record in or out of scope; None where the operation
    has no out-of-scope form (creating a region or a key names no scope)."""
    method, path = operation.split(" ", 1)
    store = "store-sh-xuhui" if inside else "store-hz-xihu"
    region = "region-sh" if inside else "region-hz"
    staff = t.staff_in if inside else t.staff_out
    side = "i" if inside else "o"
    bodies: dict[str, tuple[str, dict[str, Any] | None] | None] = {
        "POST /regions": (path, {"id": f"region-w-{t.tag}", "name": f"走区 {t.tag}"})
        if inside
        else None,
        "PATCH /regions/{region_id}": (f"/regions/{region}", {"address": f"walk {t.tag}"}),
        "POST /stores": (
            path,
            {"id": f"store-w-{t.tag}-{side}", "region_id": region, "name": f"走店 {t.tag}"},
        ),
        "PATCH /stores/{store_id}": (f"/stores/{store}", {"address": f"walk {t.tag}"}),
        "POST /staff": (
            path,
            {"code": f"W-{t.tag}-{side}", "name": "走员", "role": "staff", "home_store_id": store},
        ),
        "PATCH /staff/{staff_id}": (f"/staff/{staff['PATCH']}", {"skills": [f"walk-{t.tag}"]}),
        "POST /staff/{staff_id}/leave": (f"/staff/{staff['leave']}/leave", None),
        "POST /staff/{staff_id}/shift": (f"/staff/{staff['shift']}/shift", {"on_shift": True}),
        "POST /staff/{staff_id}/transfer": (  # to a colleague who stays
            f"/staff/{staff['transfer']}/transfer",
            {"rule": "round_robin", "successors": [staff["shift"]]},
        ),
        "PUT /staff/{staff_id}/login": (
            f"/staff/{staff['login']}/login",
            {"login": f"w-{t.tag}-{side}", "password": "walk-the-routes-2026"},
        ),
        "POST /api-keys": (path, {"name": f"walk {t.tag}", "grants": ["stores:read"]})
        if inside
        else None,
        "DELETE /api-keys/{key_id}": (f"/api-keys/{t.key_in if inside else t.key_out}", None),
        # The caller's own tenant only: no out-of-scope form. Only the admin's is made, so
        # it changes the demo's home_store rule and leaves its entry.
        "PATCH /tenant": (path, {"ownership_rule": "most_visits_90d"}) if inside else None,
        "POST /offers": (path, {"text": f"walk {t.tag}", "tags": ["高血压"]}) if inside else None,
        "DELETE /offers/{offer_id}": (f"/offers/{t.offer_in if inside else t.offer_out}", None),
        "POST /custom-fields": (
            path,
            {"name": f"w_{t.tag}", "label_zh_cn": "走", "label_en": "Walk", "type": "text"},
        )
        if inside
        else None,
        "DELETE /custom-fields/{field_id}": (
            f"/custom-fields/{t.field_in if inside else t.field_out}",
            None,
        ),
        "POST /custom-fields/templates/{template}": ("/custom-fields/templates/pharmacy", None)
        if inside
        else None,
        "PATCH /customers/{customer_id}/custom": (
            f"/customers/{'cus-demo-01' if inside else HZ_CUSTOMER}/custom",
            {"values": {"walk_note": f"walk {t.tag}"}},
        ),
        "POST /pipelines": (
            path,
            {
                "name": f"walk {t.tag}",
                "stages": [
                    {"key": "visit", "name": "拜访"},
                    {"key": "won", "name": "成交", "kind": "won"},
                    {"key": "lost", "name": "流失", "kind": "lost"},
                ],
            },
        )
        if inside
        else None,
        "POST /deals": (path, {"customer_id": "cus-demo-01" if inside else HZ_CUSTOMER}),
        "PATCH /deals/{deal_id}": (
            f"/deals/{t.deal_in if inside else t.deal_out}",
            {"title": f"walk {t.tag}"},
        ),
        "POST /deals/{deal_id}/transitions": (
            f"/deals/{t.deal_in if inside else t.deal_out}/transitions",
            {"to_stage": "qualified"},
        ),
        "POST /leads": (
            path,
            {"form_id": f"walk-{t.tag}-{side}", "phone": "13705710000", "store_id": store},
        ),
        "POST /leads/phone-calls": (
            path,
            {
                "call_id": f"walk-{t.tag}-{side}",
                "caller": "13705710001",
                "started_at": "2026-12-03T09:00:00+08:00",
                "duration_seconds": 30,
                "store_id": store,
            },
        ),
        "POST /customers": (
            path,
            {"name": "走客", "member_no": f"WC-{t.tag}-{side}", "home_store_id": store},
        ),
        "POST /customers/{customer_id}/identities": (
            f"/customers/{'cus-demo-01' if inside else HZ_CUSTOMER}/identities",
            {"kind": "member_no", "value": f"WI-{t.tag}-{side}"},
        ),
        "DELETE /customers/{customer_id}/identities/{identity_id}": (
            f"/customers/{'cus-demo-01' if inside else HZ_CUSTOMER}/identities/"
            f"{t.identity_in if inside else t.identity_out}",
            None,
        ),
        "POST /merges": (
            path,
            {"survivor_id": f"cus-wm-{t.tag}-{side}-s", "merged_id": f"cus-wm-{t.tag}-{side}-m"},
        ),
        "POST /merges/{merge_id}/undo": (
            f"/merges/{t.merge_in if inside else t.merge_out}/undo",
            None,
        ),
        **household_attempts(t.households[inside], path),
    }
    if operation == "POST /imports":  # multipart; a row out of scope is a row's error
        csv = f"name,phone,store\n走{t.tag},13705710002,{store}\n".encode()
        return Attempt(method, path, {"kind": "customers"}, ("walk.csv", csv)) if inside else None
    bodies.update(_activity_bodies(t, inside))
    bodies.update(_field_sales_bodies(t, inside))
    found = bodies[operation]
    return None if found is None else Attempt(method, found[0], found[1])


def _activity_bodies(t: Targets, inside: bool) -> dict[str, tuple[str, dict[str, Any] | None]]:
    """The activity routes (docs/crm/activities.md), on records of the role's own."""
    customer = "cus-demo-01" if inside else HZ_CUSTOMER
    ids = t.activity_in if inside else t.activity_out
    fix = {"at": "2026-12-03T10:00:00+08:00", "lat": 31.0, "lon": 121.0, "accuracy_m": 10.0}
    when = "2026-12-03T10:00:00+08:00"
    return {
        "POST /visits": ("/visits", {"customer_id": customer, "planned_at": when}),
        "POST /visits/{visit_id}/check-in": (f"/visits/{ids['visit']}/check-in", fix),
        "POST /visit-plans": (
            "/visit-plans",
            {"day": "2026-12-03", "stops": [{"customer_id": customer, "planned_at": when}]},
        ),
        "POST /visit-plans/{plan_id}/check-ins": (
            f"/visit-plans/{ids['plan']}/check-ins",
            {"customer_id": customer, "fix": fix},
        ),
        "POST /visit-plans/{plan_id}/points": (
            f"/visit-plans/{ids['plan']}/points",
            {"points": [fix]},
        ),
        "POST /activities": (
            "/activities",
            {"kind": "note", "customer_id": customer, "at": when, "body": f"walk {t.tag}"},
        ),
        "POST /tasks": ("/tasks", {"customer_id": customer, "title": f"walk {t.tag}"}),
        "PATCH /tasks/{task_id}": (f"/tasks/{ids['task']}", {"status": "done"}),
        "POST /tickets": ("/tickets", {"customer_id": customer, "title": f"walk {t.tag}"}),
        "POST /tickets/{ticket_id}/transitions": (
            f"/tickets/{ids['ticket']}/transitions",
            {"action": "assign"},
        ),
    }


def _field_sales_bodies(t: Targets, inside: bool) -> dict[str, tuple[str, dict[str, Any]]]:
    """Sample requests and orders (docs/crm/field-sales.md), at the step each write needs."""
    customer = "cus-demo-01" if inside else HZ_CUSTOMER
    ids = t.field_sales_in if inside else t.field_sales_out
    item = {"sku": "VET-1", "name": "走样品", "qty": 1}
    line = item | {"unit_price": 100}
    return {
        "POST /sample-requests": ("/sample-requests", {"customer_id": customer, "items": [item]}),
        "POST /sample-requests/{request_id}/decision": (
            f"/sample-requests/{ids['decide']}/decision",
            {"decision": "approve"},
        ),
        "POST /sample-requests/{request_id}/hand-out": (
            f"/sample-requests/{ids['hand_out']}/hand-out",
            {"visit_id": ids["visit"]},
        ),
        "POST /sample-requests/{request_id}/follow-up": (
            f"/sample-requests/{ids['follow_up']}/follow-up",
            {"outcome": "interested"},
        ),
        "POST /orders": ("/orders", {"customer_id": customer, "lines": [line]}),
        "POST /orders/{order_id}/transitions": (
            f"/orders/{ids['order']}/transitions",
            {"to": "confirmed"},
        ),
    }


@pytest.fixture
def world(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> Iterator[tuple[dict[Role, TestClient], dict[Role, Targets]]]:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        session.add(Tenant(id=OTHER_TENANT, name="Other", created_at=now))
        session.flush()
        theirs = Scope(OTHER_TENANT, Role.ADMIN, "test:setup")
        other_key = api_keys.create(session, theirs, "theirs", ["stores:read"], now).row.id
        other_offer = _offer(session, theirs, "theirs")
        other_field = _field(session, theirs, "theirs")
        admin_setup = Scope("tenant-demo", Role.ADMIN, "test:setup")
        _field(session, admin_setup, "walk_note")  # what PATCH .../custom sets
        session.add(_owned_customer("hz", now, HZ_CUSTOMER, "store-hz-xihu"))
    admin = Scope("tenant-demo", Role.ADMIN, "test:setup")
    targets = {}
    for role in CALLERS:
        tag = role.value.replace("_", "")[:8]
        with sessions.begin() as session:
            key = api_keys.create(session, admin, f"key of {tag}", ["stores:read"], now).row.id
            offer = _offer(session, admin, tag)
            field = _field(session, admin, f"f_{tag}")
            deal_in = _deal(session, admin, "cus-demo-01", "stf-demo-xuhui-1")
            deal_out = _deal(session, admin, HZ_CUSTOMER, "stf-demo-xihu-1")
        identities, merges = _merge_targets(sessions, admin, tag, now)
        targets[role] = Targets(
            tag=tag,
            staff_in={
                op: add_staff(
                    sessions, f"w-{tag}-{n}", "staff", store_id="store-sh-xuhui", password=None
                )
                for n, op in enumerate(STAFF_OPS)
            },
            staff_out={
                op: add_staff(
                    sessions, f"w-hz-{tag}-{n}", "staff", store_id="store-hz-xihu", password=None
                )
                for n, op in enumerate(STAFF_OPS)
            },
            key_in=key,
            key_out=other_key,
            offer_in=offer,
            offer_out=other_offer,
            field_in=field,
            field_out=other_field,
            deal_in=deal_in,
            deal_out=deal_out,
            activity_in=activity_records(sessions, f"{tag}-i", "cus-demo-01", "stf-demo-xuhui-1"),
            activity_out=activity_records(sessions, f"{tag}-o", HZ_CUSTOMER, "stf-demo-xihu-1"),
            identity_in=identities[0],
            identity_out=identities[1],
            merge_in=merges[0],
            merge_out=merges[1],
            households=household_targets(sessions, tag),
            **_field_sales_targets(sessions, role, tag),
        )
    with sessions.begin() as session:  # each leaver has a book to move, so a transfer writes
        for t in targets.values():
            for leaver in (t.staff_in["transfer"], t.staff_out["transfer"]):
                session.add(_owned_customer(leaver, now))
    clients = {role: client_as(sessions, spec) for role, spec in CALLERS.items()}
    yield clients, targets
    for client in clients.values():
        client.close()


def _field_sales_targets(
    sessions: sessionmaker[Session], role: Role, tag: str
) -> dict[str, dict[str, str]]:
    """The Xuhui clerk's request to decide; the rest the role's own caller's when staff (the
    rep records their hand-out), else the clerk's (their manager records it)."""
    rep = "stf-demo-xuhui-1"
    if role is Role.STAFF:
        spec = CALLERS[role]
        rep = add_staff(sessions, spec.login, spec.role, store_id=spec.store_id)
    inside = field_sales_records(sessions, f"{tag}-i", "cus-demo-01", "stf-demo-xuhui-1", rep)
    outside = field_sales_records(sessions, f"{tag}-o", HZ_CUSTOMER, "stf-demo-xihu-1",
                                  "stf-demo-xihu-1")  # fmt: skip
    return {"field_sales_in": inside, "field_sales_out": outside}


def _owned_customer(
    owner: str | None, now: datetime, customer_id: str = "", home: str | None = None
) -> Customer:
    return Customer(
        id=customer_id or f"cus-{owner}", tenant_id="tenant-demo", name="走客",
        owner_staff_id=owner if not customer_id else None, home_store_id=home,
        tags=[], created_at=now, updated_at=now,
    )  # fmt: skip


def _merge_targets(
    sessions: sessionmaker[Session], admin: Scope, tag: str, now: datetime
) -> tuple[tuple[int, int], tuple[str, str]]:
    """Per role: an identity each of cus-demo-01 and the Hangzhou customer (to remove), two
    pairs of customers for POST /merges and two merges to undo, in Shanghai and Hangzhou."""
    with sessions.begin() as session:
        ids = []
        for customer_id, side in (("cus-demo-01", "i"), (HZ_CUSTOMER, "o")):
            row = Identity(
                tenant_id="tenant-demo", customer_id=customer_id, kind="member_no",
                value=f"WD-{tag}-{side}", created_at=now,
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
        merges = []
        for side, store in (("i", "store-sh-xuhui"), ("o", "store-hz-xihu")):
            pair = [f"cus-wm-{tag}-{side}-{end}" for end in ("s", "m", "us", "um")]
            session.add_all([_owned_customer(None, now, c, store) for c in pair])
            session.flush()
            merges.append(merge_service.merge(session, admin, pair[2], pair[3], now).id)
    return (ids[0], ids[1]), (merges[0], merges[1])


def _field(session: Session, scope: Scope, name: str) -> str:
    draft = FieldDraft(name=name, label_zh_cn="走", label_en="Walk", type="text")
    return definitions.add_field(session=session, scope=scope, draft=draft).id


def _deal(session: Session, scope: Scope, customer: str, owner: str) -> str:
    draft = DealDraft(customer_id=customer, owner_staff_id=owner)
    return deals.open_deal(session=session, scope=scope, draft=draft).id


def _offer(session: Session, scope: Scope, tag: str) -> str:
    return offers.add_offer(session=session, scope=scope, draft=OfferDraft(text=f"走 {tag}")).id


def _write_operations(client: TestClient) -> set[str]:
    paths = client.get("/openapi.json").json()["paths"]
    return {
        f"{method.upper()} {path}"
        for path, methods in paths.items()
        for method in methods
        if method in ("post", "patch", "put", "delete")
    }


def _audited(sessions: sessionmaker[Session], request_id: str) -> list[str]:
    with sessions() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.request_id == request_id))
        return [f"{e.action} {e.entity} {e.entity_id}" for e in rows]


def _send(client: TestClient, a: Attempt) -> tuple[int, str, str]:
    request_id = f"walk-{uuid.uuid4().hex}"
    headers = {"X-Request-ID": request_id}
    if a.upload is not None:
        response = client.request(a.method, a.path, data=a.body, files={"file": a.upload},
                                  headers=headers)  # fmt: skip
    else:
        response = client.request(a.method, a.path, json=a.body, headers=headers)
    return response.status_code, response.text, request_id


def test_the_table_names_every_write_route(world: Any) -> None:
    clients, _targets = world
    assert _write_operations(clients[Role.ADMIN]) - OWN_SESSION - SIGNED_BY_SENDER == set(
        written_table()
    )


def test_every_write_route_as_every_role_in_and_out_of_scope(
    world: tuple[dict[Role, TestClient], dict[Role, Targets]], sessions: sessionmaker[Session]
) -> None:
    clients, targets = world
    table = written_table()
    for operation, allowed in table.items():
        for role, client in clients.items():
            for inside in (True, False):
                a = attempt(operation, targets[role], inside)
                if a is None:
                    continue
                status, text, request_id = _send(client, a)
                where = (operation, role.value, "in" if inside else "out", text)
                theirs = (targets[role].key_out, targets[role].offer_out, targets[role].field_out)
                other_tenant = a.path.endswith(theirs)
                if allowed[role] and (inside or role is Role.ADMIN) and not other_tenant:
                    assert 200 <= status < 300, where
                    assert _audited(sessions, request_id), where
                    continue
                expected = (403,) if inside else (403, 404)
                assert status in expected, where
                assert _audited(sessions, request_id) == [], where


@pytest.mark.parametrize("role", list(CALLERS))
def test_everyone_sets_their_own_shift(
    world: tuple[dict[Role, TestClient], dict[Role, Targets]], role: Role
) -> None:
    clients, _targets = world
    own = CALLERS[role].login
    response = clients[role].post(f"/staff/{own}/shift", json={"on_shift": True})
    assert response.status_code == 200, response.text
    assert response.json()["on_shift"] is True


def test_a_role_cannot_change_a_colleague_out_of_its_scope_by_moving_them(
    world: tuple[dict[Role, TestClient], dict[Role, Targets]],
) -> None:
    # A store manager may change their store's staff, but not send one to Hangzhou.
    clients, targets = world
    colleague = targets[Role.STORE_MANAGER].staff_in["PATCH"]
    moved = clients[Role.STORE_MANAGER].patch(
        f"/staff/{colleague}", json={"home_store_id": "store-hz-xihu"}
    )
    assert moved.status_code in (403, 404), moved.text
    back = clients[Role.ADMIN].get(f"/staff/{colleague}").json()
    assert back["home_store_id"] == "store-sh-xuhui"


def test_ids_in_the_walk_are_what_the_seed_has(seeded: SeedResult) -> None:
    # The walk's in/out ids must exist, or a 404 would pass for the wrong reason.
    assert {"store-sh-xuhui", "store-hz-xihu"} <= set(seeded.store_ids)
