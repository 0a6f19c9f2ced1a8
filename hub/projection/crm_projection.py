"""The CRM projection, a consumer of the event stream: committed events -> identities,
customers, purchases and touchpoints, and the stores whose cached customers changed.

It runs beside ingest, never inside it (DESIGN: ingest commits raw events only). An event
the CRM refuses (it names an unknown customer, it breaks a constraint) is dead-lettered as
kind "projection" and stays committed; the projection moves past it."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hub.crm.customer_stores import stores_of_customers
from hub.crm.leads.config import ScoreWeights
from hub.crm.leads.rescoring import rescore_customers, rescore_leads
from hub.projection.consumer import Handled, StreamEvent
from hub.projection.crm_apply import apply_crm


class CrmProjection:
    name = "crm"
    # Hub processes share the shards, so two of them project different gateways at once.
    shards = 4
    dead_letter_kind = "projection"

    def __init__(self, weights: ScoreWeights | None = None) -> None:
        self.weights = weights or ScoreWeights()

    def handle(self, session: Session, events: Sequence[StreamEvent]) -> Handled:
        applied = apply_crm(session, [(e.where, e.event) for e in events])
        # Leads are scored again in the transaction that wrote the touchpoints: the score
        # is current as soon as the event is projected (bench/bench_lead_score.py).
        now = datetime.now(UTC)
        for tenant_id, customers in applied.lead_customers.items():
            rescore_customers(session, tenant_id, customers, self.weights, now)
        rescore_leads(session, applied.new_leads, self.weights, now)
        touched = stores_of_customers(session, applied.changed_customers)
        return Handled(refused=applied.dead, touched=touched)
