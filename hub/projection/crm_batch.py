"""The CRM effect of events with a handful of statements: resolve every identifier at once,
then write every touchpoint, purchase and item with one statement per table. The outcome is
the one of applying the events one by one in seq order; the per-event fallback
(crm_apply.py) is this with one event.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from hub.crm.households.family import link_ticks
from hub.crm.identities import resolve_batch
from hub.db.event_origin import Where
from hub.projection.crm_handlers import (
    ROWS,
    VISITS,
    identifier_keys,
    known_customers,
    named_customer,
    new_to_store,
)
from hub.projection.crm_rows import CrmRows, write_rows
from hub.projection.crm_staff import link_staff
from wire.events import Event


@dataclass
class BatchCrm:
    committed: set[int] = field(default_factory=set)  # positions in the events given
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> why
    changed_customers: set[str] = field(default_factory=set)
    # Whose leads to score again: customers with new touchpoints, and new leads' ids.
    lead_customers: set[str] = field(default_factory=set)
    new_leads: set[str] = field(default_factory=set)
    staff_unknown: int = 0  # events whose till staff_id names no staff record (kept, flagged)


def apply_batch(
    session: Session, tenant_id: str, events: Sequence[tuple[Where, Event]], now: datetime
) -> BatchCrm:
    """Apply `events` (all of `tenant_id`, in order; each with where it happened). Results
    are keyed by position in `events`. Events that name an unknown customer are rejected
    here and write nothing; database errors propagate (the caller falls back to one event
    at a time)."""
    result = BatchCrm()
    named = {c for _w, e in events if (c := named_customer(e)) is not None}
    known = known_customers(session, tenant_id, named)
    handled: list[tuple[int, Where, Event]] = []
    for index, (where, event) in enumerate(events):
        customer = named_customer(event)
        if customer is not None and customer not in known:
            result.rejected[index] = ("unknown customer", customer)
        elif event.type in ROWS:
            handled.append((index, where, event))
        else:
            result.committed.add(index)  # raw event only
    requests = [(w.store_id, identifier_keys(e)) for _i, w, e in handled]
    resolved = resolve_batch(session, tenant_id, requests, now)
    rows: list[CrmRows] = []
    visits: list[tuple[str, str]] = []
    for (index, where, event), found in zip(handled, resolved, strict=True):
        row = ROWS[event.type](where, event, found.customer_id)
        rows.append(row)
        if found.customer_id is not None and (found.changed or row.marks_customer):
            result.changed_customers.add(found.customer_id)
        if found.customer_id is not None and row.touchpoint is not None:
            result.lead_customers.add(found.customer_id)
        if row.lead is not None:
            result.new_leads.add(row.lead["id"])
        if found.customer_id is not None and event.type in VISITS:
            visits.append((where.store_id, found.customer_id))
        result.committed.add(index)
    result.changed_customers |= new_to_store(session, visits)  # before this batch's rows
    result.staff_unknown = link_staff(session, tenant_id, rows)
    write_rows(session, rows)
    result.changed_customers |= link_ticks(session, tenant_id, _family_candidates(rows))
    return result


def _family_candidates(rows: list[CrmRows]) -> dict[str, str]:
    """event id -> buyer of this batch's checkouts and 家属代购 ticks of known customers."""
    found = {}
    for row in rows:
        for written in (row.purchase, row.touchpoint):
            if written is None or written["customer_id"] is None:
                continue
            if written is row.purchase or written.get("for_customer_id") is not None:
                found[written["event_id"]] = written["customer_id"]
    return found
