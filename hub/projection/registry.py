"""Every consumer of the committed event stream. Adding a derived table is a consumer
module (hub/projection/consumer.py says what it implements) and one line here: the
runtime runs each in a thread of its own, /healthz and /metrics report each one's lag."""

from sqlalchemy import Connection

from hub.crm.leads.config import ScoreWeights
from hub.db.events_storage import EventsLayout, detect_layout
from hub.projection.consumer import StreamConsumer
from hub.projection.crm_projection import CrmProjection
from hub.projection.rollup_refresh import RollupRefresh


def stream_consumers(
    conn: Connection, lead_weights: ScoreWeights | None = None
) -> list[StreamConsumer]:
    """The consumers this database's layout needs: late days are refreshed on TimescaleDB
    only (plain PostgreSQL's materialized rollup is refreshed whole, and a consumer that
    does nothing would still read and decode every event)."""
    found: list[StreamConsumer] = [CrmProjection(lead_weights)]
    if detect_layout(conn) is EventsLayout.HYPERTABLE:
        found.append(RollupRefresh())
    return found
