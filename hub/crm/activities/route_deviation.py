"""How a day's field route went against its plan.

Planned route: the plan's stops in stop order, through their planned spots. Actual route:
the check-ins in the order they happened (planned and unplanned stops alike), with the
route's GPS points between them in time order. Both lengths are haversine paths
(hub/crm/activities/geo.py); the report says the difference, the stops skipped (planned,
never checked in), the stops unplanned (checked in, not on the plan) and whether the
planned stops that were made were made in another order. Pure over its inputs; `report`
loads them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.crm.activities.geo import LatLon, path_m
from hub.crm.activities.visits import reached_plan
from hub.db.models import RoutePoint, Visit


@dataclass(frozen=True)
class Stop:
    visit_id: str
    customer_id: str
    stop_no: int | None  # None: unplanned
    planned: LatLon | None
    checked_in_at: datetime | None
    checked_in: LatLon | None


@dataclass(frozen=True)
class Deviation:
    planned_m: float
    actual_m: float
    extra_m: float  # actual - planned; negative when the day was shorter than planned
    skipped: list[str]  # visit ids, in stop order
    unplanned: list[str]  # visit ids, in check-in order
    order_changed: bool
    visited_order: list[int]  # the planned stop numbers in the order they were made


def deviation(stops: list[Stop], points: list[tuple[datetime, LatLon]]) -> Deviation:
    planned = sorted((s for s in stops if s.stop_no is not None), key=lambda s: s.stop_no or 0)
    made = sorted(
        (s for s in stops if s.checked_in_at is not None and s.checked_in is not None),
        key=lambda s: (s.checked_in_at, s.visit_id),
    )
    fixes = [(s.checked_in_at, s.checked_in) for s in made if s.checked_in_at and s.checked_in]
    actual = [spot for _at, spot in sorted([*fixes, *points], key=lambda f: f[0])]
    planned_m = path_m([s.planned for s in planned if s.planned is not None])
    actual_m = path_m(actual)
    visited = [s.stop_no for s in made if s.stop_no is not None]
    return Deviation(
        planned_m=planned_m,
        actual_m=actual_m,
        extra_m=actual_m - planned_m,
        skipped=[s.visit_id for s in planned if s.checked_in_at is None],
        unplanned=[s.visit_id for s in made if s.stop_no is None],
        order_changed=visited != sorted(visited),
        visited_order=visited,
    )


def _latlon(lat: float | None, lon: float | None) -> LatLon | None:
    return (lat, lon) if lat is not None and lon is not None else None


def report(session: Session, scope: Scope, plan_id: str) -> Deviation:
    plan = reached_plan(session, scope, plan_id)
    visits = session.scalars(select(Visit).where(Visit.plan_id == plan.id).order_by(Visit.id))
    stops = [
        Stop(
            visit_id=v.id,
            customer_id=v.customer_id,
            stop_no=v.stop_no,
            planned=_latlon(v.planned_lat, v.planned_lon),
            checked_in_at=v.checked_in_at,
            checked_in=_latlon(v.checkin_lat, v.checkin_lon),
        )
        for v in visits
    ]
    rows = session.execute(
        select(RoutePoint.at, RoutePoint.lat, RoutePoint.lon)
        .where(RoutePoint.plan_id == plan.id)
        .order_by(RoutePoint.at, RoutePoint.id)
    )
    return deviation(stops, [(at, (lat, lon)) for at, lat, lon in rows])
