"""The funnel: pipelines of ordered stages (pipelines.py), deals (deals.py), moving them
from stage to stage with each stage's requirements checked (requirements.py,
transitions.py), reading them with the stale flag computed in SQL (views.py, stale.py), and
their stage changes as a customer's timeline entries (timeline.py). docs/crm/funnel.md."""
