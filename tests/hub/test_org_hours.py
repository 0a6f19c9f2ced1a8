"""Opening hours and "is the store open at t", from cases worked out by hand (2026-11-30
is a Monday; Shanghai is UTC+8 all year; Berlin moves to summer time on 2026-03-29 at
01:00 UTC; New York is UTC-5 in winter)."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from hub.crm.org.hours import OpeningHours, is_open_at
from hub.crm.org.stores import is_store_open
from hub.db.models import Store


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _hours(**days: list[list[str]]) -> OpeningHours:
    return OpeningHours.model_validate(days)


MON_9_TO_21 = _hours(mon=[["09:00", "21:00"]])
LATE_FRIDAY = _hours(fri=[["22:00", "02:00"]])
SUNDAY_NIGHT = _hours(sun=[["22:00", "02:00"]])
ROUND_THE_CLOCK_FROM_9 = _hours(mon=[["09:00", "09:00"]])
ALL_MONDAY = _hours(mon=[["00:00", "24:00"]])
LUNCH_BREAK = _hours(mon=[["13:30", "18:00"], ["09:00", "12:00"]])
BERLIN_NIGHT = _hours(sun=[["01:00", "04:00"]])


@pytest.mark.parametrize(
    ("hours", "zone", "at", "expected"),
    [
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 11, 30, 1, 0), True),  # Mon 09:00, opening
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 11, 30, 0, 59), False),  # Mon 08:59
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 11, 30, 12, 59), True),  # Mon 20:59
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 11, 30, 13, 0), False),  # Mon 21:00, closing
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 11, 29, 23, 0), False),  # Mon 07:00
        (MON_9_TO_21, "Asia/Shanghai", _utc(2026, 12, 1, 2, 0), False),  # Tue 10:00
        (MON_9_TO_21, "UTC", _utc(2026, 11, 30, 1, 0), False),  # the zone matters: 01:00
        (LATE_FRIDAY, "Asia/Shanghai", _utc(2026, 12, 4, 14, 0), True),  # Fri 22:00
        (LATE_FRIDAY, "Asia/Shanghai", _utc(2026, 12, 4, 17, 30), True),  # Sat 01:30
        (LATE_FRIDAY, "Asia/Shanghai", _utc(2026, 12, 4, 18, 0), False),  # Sat 02:00
        (LATE_FRIDAY, "Asia/Shanghai", _utc(2026, 12, 3, 17, 30), False),  # Fri 01:30
        (SUNDAY_NIGHT, "Asia/Shanghai", _utc(2026, 11, 29, 17, 0), True),  # Mon 01:00
        (ROUND_THE_CLOCK_FROM_9, "Asia/Shanghai", _utc(2026, 12, 1, 0, 59), True),  # Tue 08:59
        (ROUND_THE_CLOCK_FROM_9, "Asia/Shanghai", _utc(2026, 12, 1, 1, 0), False),  # Tue 09:00
        (ALL_MONDAY, "Asia/Shanghai", _utc(2026, 11, 29, 16, 0), True),  # Mon 00:00
        (ALL_MONDAY, "Asia/Shanghai", _utc(2026, 11, 30, 15, 59, 59), True),  # Mon 23:59:59
        (ALL_MONDAY, "Asia/Shanghai", _utc(2026, 11, 30, 16, 0), False),  # Tue 00:00
        (LUNCH_BREAK, "Asia/Shanghai", _utc(2026, 11, 30, 4, 30), False),  # Mon 12:30
        (LUNCH_BREAK, "Asia/Shanghai", _utc(2026, 11, 30, 5, 30), True),  # Mon 13:30
        (BERLIN_NIGHT, "Europe/Berlin", _utc(2026, 3, 29, 0, 30), True),  # 01:30 CET
        (BERLIN_NIGHT, "Europe/Berlin", _utc(2026, 3, 29, 1, 30), True),  # 03:30 CEST
        (BERLIN_NIGHT, "Europe/Berlin", _utc(2026, 3, 29, 2, 0), False),  # 04:00 CEST
        (MON_9_TO_21, "America/New_York", _utc(2026, 11, 30, 14, 0), True),  # Mon 09:00 EST
        (MON_9_TO_21, "America/New_York", _utc(2026, 12, 1, 2, 0), False),  # Mon 21:00 EST
        (OpeningHours(), "Asia/Shanghai", _utc(2026, 11, 30, 4, 0), False),  # no hours: shut
    ],
)
def test_is_open_at(hours: OpeningHours, zone: str, at: datetime, expected: bool) -> None:
    assert is_open_at(hours, zone, at) is expected


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        is_open_at(MON_9_TO_21, "Asia/Shanghai", datetime(2026, 11, 30, 10))


def test_a_closed_store_is_never_open() -> None:
    store = Store(time_zone="Asia/Shanghai", opening_hours=ALL_MONDAY.stored(), status="open")
    monday_noon = _utc(2026, 11, 30, 4, 0)
    assert is_store_open(store, monday_noon)
    store.status = "closed"
    assert not is_store_open(store, monday_noon)


@pytest.mark.parametrize(
    "days",
    [
        {"mon": [["9:00", "21:00"]]},  # not HH:MM
        {"mon": [["25:00", "26:00"]]},
        {"mon": [["24:00", "02:00"]]},  # 24:00 only ends a span
        {"mon": [["09:60", "21:00"]]},
        {"mon": [["09:00"]]},
        {"mon": [["09:00", "12:00", "13:00"]]},
        {"holiday": [["09:00", "12:00"]]},
        {"mon": [[f"{h:02d}:00", f"{h:02d}:30"] for h in range(7)]},  # at most 6 a day
    ],
)
def test_malformed_hours_are_refused(days: dict[str, list[list[str]]]) -> None:
    with pytest.raises(ValidationError):
        OpeningHours.model_validate(days)


def test_spans_are_kept_sorted_once_and_closed_days_left_out() -> None:
    hours = _hours(mon=[["13:30", "18:00"], ["09:00", "12:00"], ["09:00", "12:00"]])
    assert hours.stored() == {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]}
