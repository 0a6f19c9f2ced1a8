"""Opening hours: local wall-clock spans per weekday, and whether a store is open at an
instant (dispatch asks this before it sends work to a store).

A span is [start, end) in the store's local time. An end at or before its start runs past
midnight into the next day ("22:00"-"02:00"); an end equal to its start is 24 hours from
the start; "24:00" ends at midnight. A weekday without spans is closed, and so is a store
with no hours at all: unknown hours are not open hours."""

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
_MINUTES_A_DAY = 24 * 60

Start = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"])]
End = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", examples=["21:00"])]
Span = tuple[Start, End]
Spans = Annotated[list[Span], Field(max_length=6), AfterValidator(lambda spans: sorted(set(spans)))]


class OpeningHours(BaseModel):
    """{"mon": [["09:00", "21:00"]], ...}; a day left out is closed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mon: Spans = Field(default_factory=list)
    tue: Spans = Field(default_factory=list)
    wed: Spans = Field(default_factory=list)
    thu: Spans = Field(default_factory=list)
    fri: Spans = Field(default_factory=list)
    sat: Spans = Field(default_factory=list)
    sun: Spans = Field(default_factory=list)

    def stored(self) -> dict[str, list[list[str]]]:
        """The JSON kept in `stores.opening_hours`: days with spans only."""
        return {d: [list(s) for s in getattr(self, d)] for d in DAYS if getattr(self, d)}


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _span_minutes(span: Span) -> tuple[int, int]:
    """(start, end) in minutes from the span's own midnight; end may pass 1440."""
    start, end = _minutes(span[0]), _minutes(span[1])
    if end <= start:
        end += _MINUTES_A_DAY
    return start, end


def is_open_at(hours: OpeningHours, time_zone: str, at: datetime) -> bool:
    """Whether `at` (aware) falls in a span, read on the store's wall clock: a span of
    today, or one of yesterday that runs past midnight."""
    if at.tzinfo is None:
        raise ValueError("is_open_at needs an aware datetime")
    local = at.astimezone(ZoneInfo(time_zone))
    now = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    today = DAYS[local.weekday()]
    yesterday = DAYS[(local - timedelta(days=1)).weekday()]
    for day, offset in ((today, 0), (yesterday, _MINUTES_A_DAY)):
        for span in getattr(hours, day):
            start, end = _span_minutes(span)
            if start <= now + offset < end:
                return True
    return False
