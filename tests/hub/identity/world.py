"""Two customers with a history each, built through the real paths: POST-equivalent
creation, then card taps and a checkout ingested from a gateway and projected, and a lead.
`snapshot` reads every row of every table the merge registry names, whole."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from uuid6 import uuid7

from hub.auth.scope import Role, Scope
from hub.crm.customer_create import NewCustomer, create_or_match
from hub.crm.identity_input import Typed
from hub.crm.merge.registry import REFERENCES
from hub.db.models import Customer, Lead
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import T0, batch, checkout, payload, tap
from tests.hub.conftest import TENANT_KEY

GW = "gw-demo-1"  # Xuhui's gateway
ADMIN = Scope("tenant-demo", Role.ADMIN, "test:identity-admin")
NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)
CARD_A, CARD_B = "C0DE0A0A01", "C0DE0B0B02"
MEMBER_B = "MB-7702"


@dataclass
class Two:
    a: str
    b: str
    epoch: Any
    next_seq: int


def create(sessions: sessionmaker[Session], name: str, store: str, **typed: Any) -> str:
    with sessions.begin() as session:
        new = NewCustomer(name, Typed(**typed), None, store)
        return create_or_match(session, ADMIN, TENANT_KEY, new, NOW).customer.id


def two_with_history(
    sessions: sessionmaker[Session], ingest: IngestService, projector: ConsumerRunner
) -> Two:
    a = create(sessions, "王小明", "store-sh-xuhui", card_uids=[CARD_A], phones=["13811110001"])
    b = create(sessions, "", "store-sh-jingan", card_uids=[CARD_B], member_no=MEMBER_B)
    first = batch(GW, [tap(CARD_A), tap(CARD_B), checkout("R-ID-1", member=MEMBER_B)])
    ingest.commit_batch(GW, payload(first), NOW)
    projector.drain()
    with sessions.begin() as session:
        session.add(
            Lead(
                id=f"lead-{uuid7().hex}", tenant_id="tenant-demo", source="web_form",
                source_id=f"id-{b}", customer_id=b, store_id="store-sh-jingan", name="B",
                tags=[], score_parts=[], scored_at=NOW, captured_at=NOW, created_at=NOW,
            )
        )  # fmt: skip
    return Two(a, b, first.epoch, 4)


def later(two: Two, ingest: IngestService, projector: ConsumerRunner, *uids: str) -> None:
    """Taps of these cards, after what came before."""
    at = T0 + timedelta(seconds=10 + two.next_seq)
    more = batch(GW, [tap(u) for u in uids], epoch=two.epoch, first_seq=two.next_seq, at=at)
    two.next_seq += len(uids)
    ingest.commit_batch(GW, payload(more), NOW)
    projector.drain()


Snapshot = dict[str, dict[str, dict[str, Any]]]  # table -> row key -> the whole row


def snapshot(session: Session, customer_ids: list[str]) -> Snapshot:
    """Every row of every registered table naming these customers; tables with none left
    out (the world gives them touchpoints, purchases, identities and leads)."""
    out: Snapshot = {}
    for ref in REFERENCES:
        rows = session.execute(
            text(f"SELECT * FROM {ref.table} WHERE {ref.column} = ANY(:ids)"),
            {"ids": customer_ids},
        ).mappings()
        found = {str(r[ref.key]): dict(r) for r in rows}
        if found:
            out[ref.name] = found
    return out


def customer_fields(session: Session, customer_id: str) -> dict[str, Any]:
    c = session.get_one(Customer, customer_id)
    session.refresh(c)
    return {
        k: getattr(c, k)
        for k in ("name", "phone", "birthday", "home_store_id", "owner_staff_id", "status",
                  "tags", "custom", "merged_into", "latitude", "longitude")
    }  # fmt: skip
