"""The CRM projection, a consumer of the event stream: committed events -> identities,
customers, purchases and touchpoints, and the stores whose cached customers changed.

It runs beside ingest, never inside it (DESIGN: ingest commits raw events only). An event
the CRM refuses (it names an unknown customer, it breaks a constraint) is dead-lettered as
kind "projection" and stays committed; the projection moves past it."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from hub.crm.customer_stores import stores_of_customers
from hub.projection.consumer import Handled, StreamEvent
from hub.projection.crm_apply import apply_crm


class CrmProjection:
    name = "crm"
    # Hub processes share the shards, so two of them project different gateways at once.
    shards = 4
    dead_letter_kind = "projection"

    def handle(self, session: Session, events: Sequence[StreamEvent]) -> Handled:
        applied = apply_crm(session, [(e.where, e.event) for e in events])
        touched = stores_of_customers(session, applied.changed_customers)
        return Handled(refused=applied.dead, touched=touched)
