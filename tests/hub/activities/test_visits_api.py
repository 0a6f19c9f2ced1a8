"""Visits through the API: a check-in's distance from the planned spot and the `far`
flag (distance - accuracy > 200 m), one check-in a visit, a day's plan and its deviation
report, unplanned stops and GPS points; out of scope is 404; every write audited.
Distances along a meridian: 0.001 degree of latitude = 111.195 m (test_route_deviation.py)."""

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry
from tests.hub.activities.conftest import HZ_CUSTOMER
from tests.hub.callers import SeededCallers
from tests.hub.org_scopes import ENGINEER, STAFF_XUHUI

LON = 121.0


def _visit(callers: SeededCallers, lat: float = 31.0) -> str:
    made = callers.as_(STAFF_XUHUI).post(
        "/visits",
        json={
            "customer_id": "cus-demo-03",
            "planned_at": "2026-12-03T10:00:00+08:00",
            "at": {"lat": lat, "lon": LON},
        },
    )
    assert made.status_code == 201, made.text
    assert made.json()["staff_id"] == "stf-demo-xuhui-1"
    visit_id: str = made.json()["id"]
    return visit_id


def _fix(lat: float, accuracy: float, at: str = "2026-12-03T10:05:00+08:00") -> dict[str, object]:
    return {"at": at, "lat": lat, "lon": LON, "accuracy_m": accuracy}


def test_a_check_in_far_from_the_planned_spot_is_flagged(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    # 0.003 degree north: 333.59 m; with 100 m accuracy still 233.59 m away: far.
    far = clerk.post(f"/visits/{_visit(callers)}/check-in", json=_fix(31.003, 100.0)).json()
    assert abs(far["distance_m"] - 333.59) < 0.01
    assert far["far"] is True
    # The same distance with 150 m accuracy may be 183.59 m away: not far.
    near = clerk.post(f"/visits/{_visit(callers)}/check-in", json=_fix(31.003, 150.0)).json()
    assert near["far"] is False
    assert near["checked_in_at"] == "2026-12-03T02:05:00Z"


def test_a_visit_checks_in_once(callers: SeededCallers, sessions: sessionmaker[Session]) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    visit = _visit(callers)
    assert clerk.post(f"/visits/{visit}/check-in", json=_fix(31.0, 10.0)).status_code == 200
    again = clerk.post(f"/visits/{visit}/check-in", json=_fix(31.0, 10.0))
    assert again.status_code == 409, again.text
    with sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == visit).order_by(AuditEntry.id)
        ).all()
    assert actions == ["create", "check_in"]


def test_a_day_plan_and_how_it_went(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    stops = [
        {
            "customer_id": c,
            "planned_at": f"2026-12-03T{h}:00:00+08:00",
            "at": {"lat": lat, "lon": LON},
        }
        for c, h, lat in (
            ("cus-demo-03", "09", 31.00),
            ("cus-demo-04", "10", 31.01),
            ("cus-demo-05", "11", 31.02),
        )
    ]
    plan = clerk.post("/visit-plans", json={"day": "2026-12-03", "stops": stops}).json()
    assert [s["stop_no"] for s in plan["stops"]] == [1, 2, 3]
    first, second, third = (s["id"] for s in plan["stops"])
    clerk.post(f"/visits/{third}/check-in", json=_fix(31.02, 5.0, "2026-12-03T09:10:00+08:00"))
    clerk.post(f"/visits/{first}/check-in", json=_fix(31.00, 5.0, "2026-12-03T10:10:00+08:00"))
    extra = clerk.post(
        f"/visit-plans/{plan['id']}/check-ins",
        json={"customer_id": "cus-demo-06", "fix": _fix(31.03, 5.0, "2026-12-03T11:10:00+08:00")},
    )
    assert extra.status_code == 201, extra.text
    assert extra.json()["stop_no"] is None
    points = clerk.post(
        f"/visit-plans/{plan['id']}/points",
        json={"points": [_fix(31.01, 5.0, "2026-12-03T09:40:00+08:00")]},
    )
    assert points.json() == {"added": 1}
    report = clerk.get(f"/visit-plans/{plan['id']}/deviation").json()
    # Planned 31.00 -> 31.02: 2 223.90 m. Actual 31.02 -> 31.01 (point) -> 31.00 -> 31.03:
    # 0.01 + 0.01 + 0.03 = 0.05 degree = 5 559.75 m.
    assert abs(report["planned_m"] - 2_223.90) < 0.01
    assert abs(report["actual_m"] - 5_559.75) < 0.01
    assert report["skipped"] == [second]
    assert report["unplanned"] == [extra.json()["id"]]
    assert report["order_changed"] is True and report["visited_order"] == [3, 1]


def test_visits_out_of_scope(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    hz = {"customer_id": HZ_CUSTOMER, "planned_at": "2026-12-03T10:00:00+08:00"}
    assert clerk.post("/visits", json=hz).status_code == 404
    elsewhere = {**hz, "customer_id": "cus-demo-03", "staff_id": "stf-demo-xihu-1"}
    assert clerk.post("/visits", json=elsewhere).status_code == 404  # staff out of reach
    assert clerk.get("/visits/vis-none").status_code == 404
    visit = _visit(callers)  # the callers share one client: make it before switching
    assert callers.as_(ENGINEER).get(f"/visits/{visit}").status_code == 403
