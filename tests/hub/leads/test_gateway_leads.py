"""`lead.captured` from a gateway becomes a lead once per event, its customer found or made
by the contact's identity, scored in the projection round that wrote it, and scored again
by the next event that touches that customer."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Identity, Lead
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload
from tests.hub.conftest import TENANT_KEY
from wire.events import LeadCaptured
from wire.identity import Identifier, IdentifierKind, keyed_hash

GW = "gw-demo-1"
PHONE = keyed_hash(TENANT_KEY, IdentifierKind.PHONE_HASH, "+8613900001111")


def _leads(sessions: sessionmaker[Session]) -> list[Lead]:
    with sessions() as session:
        return list(session.scalars(select(Lead).where(Lead.source == "gateway")))


def test_a_gateway_lead_is_made_once_scored_and_rescored_by_the_next_event(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    at = datetime.now(UTC) - timedelta(seconds=5)
    contact = Identifier(kind=IdentifierKind.PHONE_HASH, value=PHONE)
    body = LeadCaptured(source="store_page", name="王女士", contact=contact, note="问血压计")
    first = batch(GW, [body], at=at)
    ingest.commit_batch(GW, payload(first), at)
    ingest.commit_batch(GW, payload(first), at)  # the gateway's retry: acked, not repeated
    projector.drain()
    [lead] = _leads(sessions)
    with sessions() as session:
        holder = session.scalar(select(Identity.customer_id).where(Identity.value == PHONE))
    assert holder is not None and lead.customer_id == holder
    assert (lead.source_id, lead.store_id) == (str(first.events[0].event_id), "store-sh-xuhui")
    assert lead.tags == ["source:store_page"] and lead.name == "王女士"
    # By hand, default weights: source gateway 15, the lead touchpoint 5 (seconds old),
    # phone known 10, name known 5, one tag 5; a new customer is provisional, no member 5.
    assert lead.score == 40, lead.score_parts

    paid = checkout("R-LEAD-1", member=None)
    paid = paid.model_copy(update={"member": contact})
    ingest.commit_batch(GW, payload(batch(GW, [paid], first_seq=2, at=at)), at)
    projector.drain()
    [rescored] = _leads(sessions)
    assert rescored.score == 48  # + a checkout, 8 points, seconds old
    assert {p["reason"].split(" ")[0] for p in rescored.score_parts} >= {"checkout", "lead"}
