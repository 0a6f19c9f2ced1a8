"""Activities and service: visits (planned, checked in, in a day's field plan), calls and
notes, tasks with due dates, and service tickets. Every row hangs on a customer, whose
scope is the row's scope (hub/crm/activities/scoping.py)."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models.base import Base
from hub.db.types import UtcDateTime

TASK_OPEN, TASK_DONE = "open", "done"
TICKET_STATES = ("intake", "assigned", "resolved", "confirmed")
OPEN_ONLY = text("status = 'open'")  # the cache reads a customer's open tasks


class VisitPlan(Base):
    """One member of staff's field route for a day: its stops are visits in `stop_no` order."""

    __tablename__ = "visit_plans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Visit(Base):
    """A visit to a customer: planned (when, where), then checked in by GPS."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_customer_at", "customer_id", "planned_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"), default=None)
    plan_id: Mapped[str | None] = mapped_column(ForeignKey("visit_plans.id"), index=True)
    stop_no: Mapped[int | None] = mapped_column(Integer, default=None)  # None: not planned
    planned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    planned_lat: Mapped[float | None] = mapped_column(Float, default=None)
    planned_lon: Mapped[float | None] = mapped_column(Float, default=None)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    checkin_lat: Mapped[float | None] = mapped_column(Float, default=None)
    checkin_lon: Mapped[float | None] = mapped_column(Float, default=None)
    checkin_accuracy_m: Mapped[float | None] = mapped_column(Float, default=None)
    distance_m: Mapped[float | None] = mapped_column(Float, default=None)  # from planned spot
    far: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RoutePoint(Base):
    """A GPS fix on a plan's actual route, between check-ins (optional)."""

    __tablename__ = "route_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("visit_plans.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Activity(Base):
    """A call or a note about a customer."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_customer_at", "customer_id", "at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16))  # call or note
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    direction: Mapped[str | None] = mapped_column(String(16), default=None)  # calls: in/out
    duration_s: Mapped[int | None] = mapped_column(Integer, default=None)
    body: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_customer_open", "customer_id", "due_at", postgresql_where=OPEN_ONLY),
        Index("ix_tasks_customer_created", "customer_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    owner_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    status: Mapped[str] = mapped_column(String(16), default=TASK_OPEN)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Ticket(Base):
    """A service ticket: intake -> assigned -> resolved -> confirmed by the customer."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_customer_opened", "customer_id", "opened_at", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"), default=None)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_by: Mapped[str] = mapped_column(String(200))
    assignee_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    assigned_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    resolved_by: Mapped[str | None] = mapped_column(String(200), default=None)
    resolution: Mapped[str] = mapped_column(String(2000), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    confirmed_by: Mapped[str | None] = mapped_column(String(200), default=None)
