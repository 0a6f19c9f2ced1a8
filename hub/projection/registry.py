"""Every consumer of the committed event stream. Adding a derived table is a consumer
module (hub/projection/consumer.py says what it implements) and one line here: the
runtime runs each in a thread of its own, /healthz and /metrics report each one's lag."""

from hub.projection.consumer import StreamConsumer
from hub.projection.crm_projection import CrmProjection
from hub.projection.rollup_refresh import RollupRefresh


def stream_consumers() -> list[StreamConsumer]:
    return [CrmProjection(), RollupRefresh()]
