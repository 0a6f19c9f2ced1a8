"""Visits and field routes (docs/crm/activities.md): plan a visit or a day's route, check
in by GPS, record the route's points, and read how the day deviated from its plan."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy import select

from hub.api.activity_schemas import (
    DeviationOut,
    GpsFix,
    PlanIn,
    PlanOut,
    PointsIn,
    PointsOut,
    StopIn,
    UnplannedStopIn,
    VisitIn,
    VisitOut,
)
from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.activities import route_deviation, visits
from hub.crm.activities.geo import LatLon
from hub.crm.activities.scoping import of_reached_customers, writer
from hub.crm.org.fields import PRINTABLE
from hub.db.models import Visit
from hub.errors import NotFound

router = APIRouter(tags=["activities"], responses={503: {"model": Problem}})
VisitIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
PlanIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
_CHECKED_IN = {**WRITE_ERRORS, 409: {"model": Problem, "description": "already checked in"}}


def _stop(s: StopIn) -> visits.PlannedStop:
    at: LatLon | None = (s.at.lat, s.at.lon) if s.at else None
    return visits.PlannedStop(s.customer_id, s.planned_at, at, s.store_id)


def _fix(f: GpsFix) -> visits.Fix:
    return visits.Fix(f.at, f.lat, f.lon, f.accuracy_m)


def _out(v: Visit) -> VisitOut:
    return VisitOut.model_validate(v, from_attributes=True)


@router.post("/visits", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def plan_visit(body: VisitIn, session: WriteSessionDep, scope: ScopeDep) -> VisitOut:
    """A planned visit to a customer in the caller's scope."""
    now = datetime.now(UTC)
    return _out(visits.plan_visit(session, scope, _stop(body), body.staff_id, now))


@router.get("/visits/{visit_id}", responses=READ_ERRORS)
def get_visit(visit_id: VisitIdPath, session: SessionDep, scope: ScopeDep) -> VisitOut:
    writer(scope)
    found = session.scalar(
        select(Visit).where(
            Visit.id == visit_id,
            Visit.tenant_id == scope.tenant_id,
            of_reached_customers(scope, Visit.customer_id),
        )
    )
    if found is None:
        raise NotFound(f"visit {visit_id}")
    return _out(found)


@router.post("/visits/{visit_id}/check-in", responses=_CHECKED_IN)
def check_in(
    visit_id: VisitIdPath, body: GpsFix, session: WriteSessionDep, scope: ScopeDep
) -> VisitOut:
    """The GPS check-in: its distance from the planned spot, flagged `far` when the fix,
    allowing for its accuracy, is more than 200 m away. A visit checks in once (409)."""
    return _out(visits.check_in(session, scope, visit_id, _fix(body)))


@router.post("/visit-plans", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def plan_day(body: PlanIn, session: WriteSessionDep, scope: ScopeDep) -> PlanOut:
    """A day's field route: its stops in the order given."""
    now = datetime.now(UTC)
    stops = [_stop(s) for s in body.stops]
    plan, made = visits.plan_day(session, scope, body.day, stops, body.staff_id, now)
    return PlanOut(id=plan.id, staff_id=plan.staff_id, day=plan.day, stops=[_out(v) for v in made])


@router.post(
    "/visit-plans/{plan_id}/check-ins",
    status_code=status.HTTP_201_CREATED,
    responses=_CHECKED_IN,
)
def unplanned_stop(
    plan_id: PlanIdPath, body: UnplannedStopIn, session: WriteSessionDep, scope: ScopeDep
) -> VisitOut:
    """A check-in on the route at a customer the plan did not name: an unplanned stop."""
    now = datetime.now(UTC)
    made = visits.unplanned_stop(session, scope, plan_id, body.customer_id, _fix(body.fix), now)
    return _out(made)


@router.post("/visit-plans/{plan_id}/points", responses=WRITE_ERRORS)
def add_points(
    plan_id: PlanIdPath, body: PointsIn, session: WriteSessionDep, scope: ScopeDep
) -> PointsOut:
    """GPS points along the actual route, between check-ins."""
    fixes = [_fix(p) for p in body.points]
    return PointsOut(added=visits.add_points(session, scope, plan_id, fixes))


@router.get("/visit-plans/{plan_id}/deviation", responses=READ_ERRORS)
def deviation(plan_id: PlanIdPath, session: SessionDep, scope: ScopeDep) -> DeviationOut:
    """Planned against actual: both distances (haversine), the stops skipped, the stops
    unplanned, and whether the planned ones were made in another order."""
    found = route_deviation.report(session, scope, plan_id)
    return DeviationOut.model_validate(found, from_attributes=True)
