"""The CRM effect of a whole batch with a handful of statements: resolve every identifier at
once, then write every touchpoint, purchase and item with one statement per table. The
outcome is the one of applying the events one by one in seq order (event_handlers.apply_one).
"""

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from hub.crm.crm_writes import CrmRows, write_rows
from hub.crm.event_handlers import ROWS, Where, identifiers_of, known_customers, named_customer
from hub.crm.identity_batch import resolve_batch
from wire.events import Event


@dataclass
class BatchCrm:
    committed: set[int] = field(default_factory=set)
    rejected: dict[int, tuple[str, str]] = field(default_factory=dict)  # seq -> (reason, detail)
    changed_customers: set[str] = field(default_factory=set)


def apply_batch(session: Session, where: Where, events: list[Event]) -> BatchCrm:
    """Events that name an unknown customer are rejected here and write nothing; database
    errors propagate (the caller falls back to one event at a time)."""
    result = BatchCrm()
    named = {c for e in events if (c := named_customer(e)) is not None}
    known = known_customers(session, where.tenant_id, named)
    handled: list[Event] = []
    for event in events:
        customer = named_customer(event)
        if customer is not None and customer not in known:
            result.rejected[event.seq] = ("unknown customer", customer)
        elif event.type in ROWS:
            handled.append(event)
        else:
            result.committed.add(event.seq)  # raw event only
    requests = [identifiers_of(e) for e in handled]
    resolved = resolve_batch(session, where.tenant_id, where.store_id, requests, where.now)
    rows: list[CrmRows] = []
    for event, found in zip(handled, resolved, strict=True):
        row = ROWS[event.type](where, event, found.customer_id)
        rows.append(row)
        if found.customer_id is not None and (found.changed or row.marks_customer):
            result.changed_customers.add(found.customer_id)
        result.committed.add(event.seq)
    write_rows(session, rows)
    return result
