"""A deal is stale when it has sat in its stage longer than the stage allows: computed in
SQL from when it entered the stage and the stage's limit, against the database's clock, so
a list filtered by it is one query and the flag never goes out of date in storage."""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Interval, and_, func

from hub.db.models import OPEN, Deal, PipelineStage


def stale_since() -> ColumnElement[datetime]:
    """When the deal (joined to its stage) became, or will become, stale; NULL: never."""
    hours = PipelineStage.stale_after_hours
    limit: ColumnElement[timedelta] = func.make_interval(0, 0, 0, 0, hours, type_=Interval)
    return Deal.entered_stage_at + limit


def is_stale() -> ColumnElement[bool]:
    return and_(
        Deal.status == OPEN,
        PipelineStage.stale_after_hours.is_not(None),
        stale_since() < func.now(),
    )
