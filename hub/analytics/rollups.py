"""Late events into the daily rollup `events_daily`.

Timescale's refresh policy refreshes only its own window (the last 3 days), so an event
that arrives later than that (a gateway's outbox sent after a week offline) would stay out
of the rollup until a full refresh. For each run of stream events this refreshes exactly
the UTC days they touched that the policy will not, and none before the retention
horizon (hub/db/timescale_rollup.py: refreshing over dropped chunks erases rollup rows).
On plain PostgreSQL `events_daily` is a materialized view refreshed whole
(hub.db.events_storage.refresh_rollup); there is nothing to do per event.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hub import metrics
from hub.db.timescale_rollup import (
    DAY,
    RollupPolicy,
    Window,
    day_of,
    first_refreshable_day,
    refresh_windows,
    rollup_policy,
)

log = logging.getLogger(__name__)


def late_day_windows(occurred: Iterable[datetime], policy: RollupPolicy) -> list[Window]:
    """The days touched that the policy leaves alone and that may still be refreshed, as
    windows of consecutive days."""
    first = first_refreshable_day(policy)
    windows: list[Window] = []
    for day in sorted(set(map(day_of, occurred))):
        if policy.refreshed_from is not None and day >= policy.refreshed_from:
            break  # this day and the later ones are the policy's
        if first is not None and day < first:
            continue  # its raw events may be dropped: its rollup row stays as it is
        if windows and windows[-1][1] == day:
            windows[-1] = (windows[-1][0], day + DAY)
        else:
            windows.append((day, day + DAY))
    return windows


def refresh_late_days(session: Session, occurred: Iterable[datetime], now: datetime) -> int:
    """Refresh the late days of these events (already committed: the stream hands out only
    committed ones) outside the session's transaction. Returns the number of days."""
    policy = rollup_policy(session.connection(), now)
    if policy is None:
        return 0
    windows = late_day_windows(occurred, policy)
    if not windows:
        return 0
    bind = session.get_bind()
    refresh_windows(bind if isinstance(bind, Engine) else bind.engine, windows)
    days = sum(round((end - start) / DAY) for start, end in windows if start and end)
    metrics.ROLLUP_DAYS_REFRESHED.inc(days)
    log.info("events_daily: %d late days refreshed in %d windows", days, len(windows))
    return days
