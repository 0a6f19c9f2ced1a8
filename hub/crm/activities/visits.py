"""Visits: planned (who, whom, when, where), then checked in by GPS. The check-in's
distance from the planned spot (the visit's own, else the customer's home, else the
store's) is kept, and the visit is flagged `far` when even the most favourable reading of
the fix is more than FAR_M away: distance - accuracy > FAR_M. A field plan is one member
of staff's ordered stops for a day; a check-in at a customer not on it is an unplanned
stop. Every write is audited in the caller's transaction."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities.geo import LatLon, haversine_m
from hub.crm.activities.scoping import (
    acting_staff,
    of_reached_customers,
    reached_customer,
    writer,
)
from hub.crm.org.errors import Inconsistent
from hub.db.models import Customer, RoutePoint, Store, Visit, VisitPlan
from hub.errors import NotFound, Unprocessable

FAR_M = 200.0  # metres beyond the fix's own accuracy


@dataclass(frozen=True)
class PlannedStop:
    customer_id: str
    planned_at: datetime
    at: LatLon | None = None  # None: the customer's home, else their store's
    store_id: str | None = None


@dataclass(frozen=True)
class Fix:
    at: datetime
    lat: float
    lon: float
    accuracy_m: float


def _spot(session: Session, customer: Customer, stop: PlannedStop) -> LatLon | None:
    if stop.at is not None:
        return stop.at
    if customer.latitude is not None and customer.longitude is not None:
        return (customer.latitude, customer.longitude)
    store_id = stop.store_id or customer.home_store_id
    store = session.get(Store, store_id) if store_id else None
    if store is not None and store.latitude is not None and store.longitude is not None:
        return (store.latitude, store.longitude)
    return None


def _new_visit(
    session: Session, scope: Scope, stop: PlannedStop, staff_id: str, now: datetime
) -> Visit:
    customer = reached_customer(session, scope, stop.customer_id)
    spot = _spot(session, customer, stop)
    return Visit(
        id=f"vis-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        staff_id=staff_id,
        store_id=stop.store_id or customer.home_store_id,
        planned_at=stop.planned_at,
        planned_lat=spot[0] if spot else None,
        planned_lon=spot[1] if spot else None,
        far=False,
        note="",
        created_at=now,
    )


def _staff_of(session: Session, scope: Scope, staff_id: str | None) -> str:
    found = acting_staff(session, scope, staff_id, "staff_id")
    if found is None:
        raise Unprocessable((["body", "staff_id"], "name the member of staff who visits"))
    return found


def plan_visit(
    session: Session, scope: Scope, stop: PlannedStop, staff_id: str | None, now: datetime
) -> Visit:
    writer(scope)
    visit = _new_visit(session, scope, stop, _staff_of(session, scope, staff_id), now)
    session.add(visit)
    session.flush()
    audit.record(session, scope, "create", "visit", visit.id, after=audit.row_values(visit))
    return visit


def plan_day(
    session: Session,
    scope: Scope,
    day: date,
    stops: list[PlannedStop],
    staff_id: str | None,
    now: datetime,
) -> tuple[VisitPlan, list[Visit]]:
    """A field plan: its stops in the order given (stop 1 first)."""
    writer(scope)
    staff = _staff_of(session, scope, staff_id)
    plan = VisitPlan(
        id=f"vpl-{uuid7().hex}", tenant_id=scope.tenant_id, staff_id=staff, day=day, created_at=now
    )
    session.add(plan)
    visits = []
    for number, stop in enumerate(stops, start=1):
        visit = _new_visit(session, scope, stop, staff, now)
        visit.plan_id, visit.stop_no = plan.id, number
        visits.append(visit)
    session.add_all(visits)
    session.flush()
    after = {"staff_id": staff, "day": day.isoformat(), "stops": [v.id for v in visits]}
    audit.record(session, scope, "create", "visit_plan", plan.id, after=after)
    return plan, visits


def check_in(session: Session, scope: Scope, visit_id: str, fix: Fix) -> Visit:
    writer(scope)
    visit = session.scalar(
        select(Visit)
        .where(Visit.id == visit_id, Visit.tenant_id == scope.tenant_id)
        .where(of_reached_customers(scope, Visit.customer_id))
        .with_for_update()
    )
    if visit is None:
        raise NotFound(f"visit {visit_id}")
    if visit.checked_in_at is not None:
        raise Inconsistent(f"visit {visit_id} was checked in at {visit.checked_in_at.isoformat()}")
    before = audit.row_values(visit)
    visit.checked_in_at = fix.at
    visit.checkin_lat, visit.checkin_lon = fix.lat, fix.lon
    visit.checkin_accuracy_m = fix.accuracy_m
    if visit.planned_lat is not None and visit.planned_lon is not None:
        visit.distance_m = haversine_m((visit.planned_lat, visit.planned_lon), (fix.lat, fix.lon))
        visit.far = visit.distance_m - fix.accuracy_m > FAR_M
    session.flush()
    old, new = audit.changed(before, audit.row_values(visit))
    audit.record(session, scope, "check_in", "visit", visit.id, before=old, after=new)
    return visit


def unplanned_stop(
    session: Session, scope: Scope, plan_id: str, customer_id: str, fix: Fix, now: datetime
) -> Visit:
    """A check-in on a plan's route at a customer it did not plan: an unplanned stop."""
    plan = reached_plan(session, scope, plan_id)
    stop = PlannedStop(customer_id=customer_id, planned_at=fix.at)
    visit = _new_visit(session, scope, stop, plan.staff_id, now)
    visit.plan_id = plan.id
    session.add(visit)
    session.flush()
    audit.record(session, scope, "create", "visit", visit.id, after=audit.row_values(visit))
    return check_in(session, scope, visit.id, fix)


def reached_plan(session: Session, scope: Scope, plan_id: str) -> VisitPlan:
    """A plan the caller reaches: one with a stop at a customer they reach, or their own."""
    writer(scope)
    reached_stop = select(Visit.plan_id).where(of_reached_customers(scope, Visit.customer_id))
    mine = VisitPlan.staff_id == scope.staff_id if scope.staff_id else None
    stmt = select(VisitPlan).where(VisitPlan.id == plan_id, VisitPlan.tenant_id == scope.tenant_id)
    clause = VisitPlan.id.in_(reached_stop)
    found = session.scalar(stmt.where(clause if mine is None else clause | mine))
    if found is None:
        raise NotFound(f"visit plan {plan_id}")
    return found


def add_points(session: Session, scope: Scope, plan_id: str, fixes: list[Fix]) -> int:
    """GPS fixes along a plan's actual route, between its check-ins; one audit entry."""
    plan = reached_plan(session, scope, plan_id)
    rows = [
        RoutePoint(tenant_id=scope.tenant_id, plan_id=plan.id, at=f.at, lat=f.lat, lon=f.lon)
        for f in fixes
    ]
    session.add_all(rows)
    session.flush()
    after = {"points": len(rows), "first": fixes[0].at.isoformat() if fixes else None}
    audit.record(session, scope, "add_points", "visit_plan", plan.id, after=after)
    return len(rows)
