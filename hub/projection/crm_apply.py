"""The CRM effect of many stored events, set-based, with a per-event fallback that isolates
the one event the database (or the CRM code) refuses. Runs inside the caller's transaction."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import (
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
)
from sqlalchemy.orm import Session

from hub import metrics
from hub.crm.identities import IdentityRace
from hub.db.event_origin import Where
from hub.projection.crm_batch import BatchCrm, apply_batch
from wire.events import Event

log = logging.getLogger(__name__)
RACE_RETRIES = 3
# The database itself failing is not the event's fault: let the round roll back and retry.
DATABASE_TROUBLE = (OperationalError, InterfaceError, InternalError)


@dataclass
class Applied:
    """Per position in the events given."""

    committed: set[int] = field(default_factory=set)
    dead: dict[int, tuple[str, str]] = field(default_factory=dict)  # position -> (reason, detail)
    changed_customers: set[str] = field(default_factory=set)
    lead_customers: dict[str, set[str]] = field(default_factory=dict)  # tenant -> customers
    new_leads: set[str] = field(default_factory=set)


def apply_crm(session: Session, items: Sequence[tuple[Where, Event]]) -> Applied:
    """Apply `items` in order, one set-based pass per tenant."""
    by_tenant: dict[str, list[int]] = defaultdict(list)
    for position, (where, _event) in enumerate(items):
        by_tenant[where.tenant_id].append(position)
    applied = Applied()
    for tenant_id, positions in by_tenant.items():
        part = _apply_tenant(session, tenant_id, [items[p] for p in positions])
        applied.committed |= {positions[i] for i in part.committed}
        applied.dead.update({positions[i]: why for i, why in part.rejected.items()})
        applied.changed_customers |= part.changed_customers
        applied.lead_customers[tenant_id] = part.lead_customers
        applied.new_leads |= part.new_leads
        metrics.STAFF_UNKNOWN.inc(part.staff_unknown)
    return applied


def _apply_tenant(session: Session, tenant_id: str, items: list[tuple[Where, Event]]) -> BatchCrm:
    """Set-based in one savepoint; if that fails, roll it back and go one event at a time.
    Losing an identity race to another transaction just resolves again."""
    now = max(where.now for where, _e in items)
    for _attempt in range(RACE_RETRIES):
        try:
            with session.begin_nested():
                return apply_batch(session, tenant_id, items, now)
        except IdentityRace as exc:
            metrics.IDENTITY_RACES.inc()
            log.info("identity race lost (%s), resolving again", exc)
            continue
        except DATABASE_TROUBLE:
            raise
        except (IntegrityError, DataError) as exc:
            log.warning("set-based projection failed (%s), redoing it event by event", exc.orig)
            break
        except Exception as exc:  # a poison event or a CRM bug: isolated one by one below
            log.warning("set-based projection failed (%r), redoing it event by event", exc)
            break
    return _one_by_one(session, tenant_id, items)


def _one_by_one(session: Session, tenant_id: str, items: list[tuple[Where, Event]]) -> BatchCrm:
    """The same path, one event per savepoint: the event the database refuses is isolated."""
    result = BatchCrm()
    for position, (where, event) in enumerate(items):
        try:
            with session.begin_nested():
                alone = apply_batch(session, tenant_id, [(where, event)], where.now)
        except DATABASE_TROUBLE:
            raise
        except (IntegrityError, DataError) as exc:
            result.rejected[position] = ("crm constraint violated", str(exc.orig)[:2000])
        except ValueError as exc:
            result.rejected[position] = ("invalid event", str(exc)[:2000])
        except Exception as exc:  # a bug one event shape triggers must not block the stream
            log.exception("projection of %s seq %s failed", event.gateway_id, event.seq)
            result.rejected[position] = ("projection failed", repr(exc)[:2000])
        else:
            if 0 in alone.rejected:
                result.rejected[position] = alone.rejected[0]
            else:
                result.committed.add(position)
            result.changed_customers |= alone.changed_customers
            result.lead_customers |= alone.lead_customers
            result.new_leads |= alone.new_leads
            result.staff_unknown += alone.staff_unknown
    return result
