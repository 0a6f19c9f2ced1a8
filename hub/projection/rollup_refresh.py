"""A consumer of the event stream that brings late events into the daily rollup
(hub/analytics/rollups.py): Timescale's refresh policy covers only its recent window.

Each round refreshes the late days of its events before the runner commits the cursor: a
crash in between refreshes them again (a refresh is idempotent), a failed refresh rolls
the round back to be retried. Registered on TimescaleDB only (hub/projection/registry.py)."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.analytics.rollups import refresh_late_days
from hub.projection.consumer import Handled, StreamEvent


class RollupRefresh:
    name = "rollup_refresh"
    # One refresher: concurrent refreshes of one continuous aggregate wait on each other.
    shards = 1
    dead_letter_kind = "rollup"  # never used: it refuses no event

    def handle(self, session: Session, events: Sequence[StreamEvent]) -> Handled:
        refresh_late_days(session, (e.event.occurred_at for e in events), datetime.now(UTC))
        return Handled()
