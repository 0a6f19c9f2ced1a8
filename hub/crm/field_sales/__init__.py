"""Field sales (docs/crm/field-sales.md): sample requests (samples.py, follow_ups.py) and
orders (orders.py) of a distributor's field reps, scoped as their customers are
(scoping.py), on the customer's timeline (timeline.py)."""

from hub.crm.field_sales import timeline as timeline
