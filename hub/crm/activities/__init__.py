"""Activities and service (docs/crm/activities.md): visits and field routes, calls and
notes, tasks, service tickets, and the customer's timeline."""

# The timeline's own sources register on import, so every reader of the timeline has them.
from hub.crm.activities import timeline_sources as timeline_sources
from hub.crm.funnel import timeline as deal_timeline  # noqa: F401  (the deals' stage changes)
