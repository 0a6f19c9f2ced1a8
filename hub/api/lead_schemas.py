"""Lead API shapes: what the web form and the phone system send, and what is shown."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.api.deps import Instant
from hub.crm.contacts import AnyEmail, AnyPhone
from hub.crm.org.fields import PRINTABLE

SourceId = Field(min_length=1, max_length=128, pattern=PRINTABLE)
StoreRef = Field(default=None, min_length=1, max_length=64, pattern=PRINTABLE)
Tag = str


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WebFormLead(_In):
    """One submission of a web form; `form_id` is the form system's own id of it."""

    form_id: str = SourceId
    name: str = Field(default="", max_length=200)
    phone: AnyPhone | None = None
    email: AnyEmail | None = None
    note: str = Field(default="", max_length=2000)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    store_id: str | None = StoreRef
    submitted_at: Instant | None = Field(default=None, description="default: when received")

    @model_validator(mode="after")
    def _a_contact(self) -> "WebFormLead":
        if self.phone is None and self.email is None:
            raise ValueError("phone or email: a lead needs one way to reach them")
        if any(not t or len(t) > 50 for t in self.tags):
            raise ValueError("tags: each 1 to 50 characters")
        return self


class PhoneCallLead(_In):
    """A call record from the phone system; `call_id` is its own id of the call."""

    call_id: str = SourceId
    caller: AnyPhone
    started_at: Instant
    duration_seconds: int = Field(ge=0, le=86_400)
    store_id: str | None = StoreRef
    note: str = Field(default="", max_length=2000)


class ScorePart(BaseModel):
    model_config = ConfigDict(frozen=True)

    part: str = Field(description="source, behaviour or attribute")
    reason: str
    points: float


class LeadOut(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: str
    source: str
    source_id: str
    customer_id: str | None
    store_id: str | None
    owner_staff_id: str | None
    name: str = Field(description="masked by role, as a customer's name is")
    note: str | None = Field(description="null for roles not shown health data")
    tags: list[str]
    score: int = Field(ge=0, le=100)
    score_parts: list[ScorePart] = Field(description="every contribution; they add up")
    scored_at: datetime
    captured_at: datetime


class LeadPageOut(BaseModel):
    leads: list[LeadOut]
    next: str | None = Field(description="pass as `before` for the next page")
