"""API shapes of field sales (docs/crm/field-sales.md): sample requests and orders, what
is sent and what is shown. Amounts are integers in fen; free text has no control
characters but tabs and line breaks, and is shown only to the roles shown health data
(null for the others, as for task titles)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from hub.api.activity_schemas import Ref, Text
from hub.api.deps import WholeNumber
from hub.crm.org.fields import Name

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x20\x7f-\x9f]+$")]
Whole = WholeNumber
Qty = Annotated[StrictInt, Field(ge=1, le=100_000), Whole]
Fen = Annotated[StrictInt, Field(ge=0, le=1_000_000_000, description="fen (0.01 CNY)"), Whole]
Days = Annotated[StrictInt, Field(ge=1, le=365), Whole]
Reason = Literal["price", "efficacy", "relationship", "availability", "other"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SampleItemIn(_In):
    sku: Sku
    name: Name
    qty: Qty


class SampleRequestIn(_In):
    customer_id: Ref
    items: list[SampleItemIn] = Field(min_length=1, max_length=50)
    reason: Text = ""
    follow_up_days: Days = Field(
        default=14, description="the follow-up is due this many days after hand-out"
    )


class DecisionIn(_In):
    decision: Literal["approve", "reject"]
    note: Text = ""


class HandOutIn(_In):
    visit_id: Ref


class FollowUpIn(_In):
    outcome: Literal["converted", "interested", "no_interest"]
    note: Text = ""


class SampleItemOut(BaseModel):
    sku: str
    name: str
    qty: int


class SampleRequestOut(BaseModel):
    id: str
    customer_id: str
    rep_staff_id: str
    status: Literal["requested", "approved", "rejected", "handed_out", "closed"]
    items: list[SampleItemOut]
    reason: str | None
    follow_up_days: int
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str | None
    visit_id: str | None
    handed_out_at: datetime | None
    follow_up_due_at: datetime | None
    follow_up_task_id: str | None
    follow_up_overdue: bool
    follow_up_outcome: str | None
    follow_up_note: str | None
    followed_up_at: datetime | None


class SampleRequestPage(BaseModel):
    sample_requests: list[SampleRequestOut]
    next: str | None = Field(description="pass as `after` for the next page; null: the last")


class CompetitorIn(_In):
    name: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    product: Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")] = ""
    unit_price: Fen | None = None
    reason: Reason | None = Field(default=None, description="why the customer chose us or them")
    note: Text = ""


class OrderLineIn(_In):
    sku: Sku
    name: Name
    qty: Qty
    unit_price: Fen


class OrderIn(_In):
    customer_id: Ref
    deal_id: Ref | None = None
    visit_id: Ref | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)
    competitor: CompetitorIn | None = None


class OrderTransitionIn(_In):
    to: Literal["confirmed", "cancelled"]
    competitor: CompetitorIn | None = Field(default=None, description="replaces the feedback")


class OrderLineOut(BaseModel):
    sku: str
    name: str
    qty: int
    unit_price: int


class CompetitorOut(BaseModel):
    name: str
    product: str
    unit_price: int | None
    reason: Reason | None
    note: str | None


class OrderOut(BaseModel):
    id: str
    customer_id: str
    rep_staff_id: str | None
    deal_id: str | None
    visit_id: str | None
    status: Literal["intent", "confirmed", "cancelled"]
    lines: list[OrderLineOut]
    total_fen: int
    competitor: CompetitorOut
    created_at: datetime
    confirmed_at: datetime | None
    cancelled_at: datetime | None


class OrderPage(BaseModel):
    orders: list[OrderOut]
    next: str | None = Field(description="pass as `after` for the next page; null: the last")
