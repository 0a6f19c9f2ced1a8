"""API shapes of activities and service (docs/crm/activities.md): what is sent to plan
and check in visits, log calls and notes, add tasks and move tickets, and what is shown.
Free text has no control characters but tabs and line breaks (PostgreSQL refuses a NUL);
titles need one character that is not a space; times are ISO 8601 text with an offset."""

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt

from hub.api.deps import Instant, WholeNumber
from hub.crm.org.fields import PRINTABLE, Name

Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
Title = Name
Text = Annotated[str, Field(max_length=2000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Latitude = Annotated[StrictFloat, Field(ge=-90, le=90, examples=[31.1955])]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180, examples=[121.4387])]
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _date_text(value: object) -> object:
    # Pydantic would take a number as Unix time; the schema says a date, so only its text.
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("an ISO 8601 date, e.g. 2026-12-03")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_text), Field(examples=["2026-12-03"])]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Spot(_In):
    lat: Latitude
    lon: Longitude


class GpsFix(_In):
    at: Instant
    lat: Latitude
    lon: Longitude
    accuracy_m: StrictFloat = Field(ge=0, le=10_000, description="the fix's 68 % radius, metres")


class StopIn(_In):
    customer_id: Ref
    planned_at: Instant
    at: Spot | None = Field(default=None, description="default: the customer's home, or store")
    store_id: Ref | None = None


class VisitIn(StopIn):
    staff_id: Ref | None = Field(default=None, description="who visits; default: the caller")


class PlanIn(_In):
    day: IsoDate
    staff_id: Ref | None = Field(default=None, description="whose route; default: the caller")
    stops: list[StopIn] = Field(min_length=1, max_length=50, description="in the planned order")


class UnplannedStopIn(_In):
    customer_id: Ref
    fix: GpsFix


class PointsIn(_In):
    points: list[GpsFix] = Field(min_length=1, max_length=1000)


class VisitOut(BaseModel):
    id: str
    customer_id: str
    staff_id: str
    store_id: str | None
    plan_id: str | None
    stop_no: int | None = Field(description="null: not a planned stop")
    planned_at: datetime
    planned_lat: float | None
    planned_lon: float | None
    checked_in_at: datetime | None
    checkin_lat: float | None
    checkin_lon: float | None
    checkin_accuracy_m: float | None
    distance_m: float | None = Field(description="check-in from the planned spot, metres")
    far: bool = Field(description="distance - accuracy > 200 m")


class PlanOut(BaseModel):
    id: str
    staff_id: str
    day: date
    stops: list[VisitOut]


class DeviationOut(BaseModel):
    planned_m: float
    actual_m: float
    extra_m: float = Field(description="actual - planned")
    skipped: list[str] = Field(description="planned visits never checked in, in stop order")
    unplanned: list[str] = Field(description="visits checked in off the plan")
    order_changed: bool
    visited_order: list[int] = Field(description="planned stop numbers in the order made")


class PointsOut(BaseModel):
    added: int


class ActivityIn(_In):
    kind: Literal["call", "note"]
    customer_id: Ref
    at: Instant
    body: Text = ""
    direction: Literal["inbound", "outbound"] | None = Field(default=None, description="calls")
    duration_s: Annotated[StrictInt, Field(ge=0, le=86_400), WholeNumber] | None = Field(
        default=None, description="calls"
    )
    staff_id: Ref | None = None


class ActivityOut(BaseModel):
    id: str
    kind: str
    customer_id: str
    staff_id: str | None
    at: datetime
    direction: str | None
    duration_s: int | None
    body: str | None = Field(description="null for roles not shown health data")


class TaskIn(_In):
    customer_id: Ref
    title: Title
    due_at: Instant | None = None
    owner_staff_id: Ref | None = Field(default=None, description="default: the caller")


class TaskPatch(_In):
    title: Title | None = None
    due_at: Instant | None = None
    owner_staff_id: Ref | None = None
    status: Literal["open", "done"] | None = None


class TaskOut(BaseModel):
    id: str
    customer_id: str
    owner_staff_id: str | None
    title: str | None = Field(description="null for roles not shown health data")
    due_at: datetime | None
    status: str
    overdue: bool
    done_at: datetime | None
    created_at: datetime


class TicketIn(_In):
    customer_id: Ref
    title: Title
    description: Text = ""
    store_id: Ref | None = Field(default=None, description="default: the customer's home store")


class TicketStep(_In):
    action: Literal["assign", "resolve", "confirm", "reopen"]
    assignee_staff_id: Ref | None = Field(default=None, description="assign; default: caller")
    resolution: Text = Field(default="", description="resolve: what was done")


class TicketOut(BaseModel):
    id: str
    customer_id: str
    store_id: str | None
    title: str | None = Field(description="null for roles not shown health data")
    description: str | None
    state: Literal["intake", "assigned", "resolved", "confirmed"]
    opened_at: datetime
    opened_by: str
    assignee_staff_id: str | None
    assigned_at: datetime | None
    assigned_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    confirmed_at: datetime | None
    confirmed_by: str | None


class TimelineEntryOut(BaseModel):
    at: datetime
    source: str = Field(description="touchpoint, purchase, visit, call, note, task, ticket, …")
    id: str
    title: str
    store_id: str | None


class TimelineOut(BaseModel):
    entries: list[TimelineEntryOut]
    next: str | None = Field(description="pass as `before` for the next page")
