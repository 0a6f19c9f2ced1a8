"""A lead from any channel, once per the channel's own id: a repeat returns the lead the
first delivery made (`created` False) and changes nothing. The lead's customer is found
or made through the identity keys (hub/crm/identity_keys.py), it is scored at once, and
the write is audited in the caller's transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.identities import Key
from hub.crm.identity_keys import find_or_create
from hub.crm.leads.config import ScoreWeights
from hub.crm.leads.rescoring import rescore
from hub.db.models import Lead, Store
from hub.errors import Forbidden, RejectedError

# Two deliveries of one source id at once: the second waits for the first's commit.
LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))")


@dataclass(frozen=True)
class NewLead:
    source: str
    source_id: str
    captured_at: datetime
    keys: Sequence[Key] = ()  # identity keys, strongest first; () for a lead with no contact
    name: str = ""
    note: str = ""
    tags: tuple[str, ...] = ()
    store_id: str | None = None


@dataclass(frozen=True)
class Captured:
    lead: Lead
    created: bool


def capture(
    session: Session, scope: Scope, new: NewLead, weights: ScoreWeights, now: datetime
) -> Captured:
    _check_store(session, scope, new.store_id)
    name = f"{scope.tenant_id}\x1f{new.source}\x1f{new.source_id}"
    session.execute(LOCK, {"name": name})
    found = _existing(session, scope.tenant_id, new.source, new.source_id)
    if found is not None:
        return Captured(found, created=False)
    customer = (
        find_or_create(session, scope.tenant_id, new.keys, now, home_store_id=new.store_id)
        if new.keys
        else None
    )
    lead = Lead(
        id=f"lead-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        source=new.source,
        source_id=new.source_id,
        customer_id=customer.customer_id if customer else None,
        store_id=new.store_id,
        owner_staff_id=None,
        name=new.name,
        note=new.note,
        tags=list(new.tags),
        captured_at=new.captured_at,
        created_at=now,
        scored_at=now,
    )
    session.add(lead)
    session.flush()
    rescore(session, [lead], weights, now)
    after = audit.row_values(lead, leave_out=("score_parts", "note"))
    audit.record(session, scope, "create", "lead", lead.id, after=after, now=now)
    return Captured(lead, created=True)


def _existing(session: Session, tenant_id: str, source: str, source_id: str) -> Lead | None:
    return session.scalar(
        select(Lead).where(
            Lead.tenant_id == tenant_id, Lead.source == source, Lead.source_id == source_id
        )
    )


def _check_store(session: Session, scope: Scope, store_id: str | None) -> None:
    """A lead goes to a store of the tenant, and one in the caller's scope: a scoped caller
    may not place a lead where they could not see it."""
    if store_id is None:
        if scope.store_ids is not None:
            raise RejectedError("store_id", "required: your role reaches only its stores")
        return
    exists = session.scalar(
        select(Store.id).where(Store.id == store_id, Store.tenant_id == scope.tenant_id)
    )
    if exists is None:
        raise RejectedError("store_id", f"no store {store_id}")
    if scope.store_ids is not None and store_id not in scope.store_ids:
        raise Forbidden(f"store {store_id} is outside your stores")
