"""Stage filters of the customer list, by name: where the funnel plugs in.

HOOK for the funnel (the `deals` table, built separately): add each deal stage here as
a predicate over `customers` (e.g. "an open deal of this customer at stage X"), and the
same name to `Stage` in hub/api/list_schemas.py. Until then the one stage is "lead": the
customer has a lead the caller's scope reaches. Leads have no status yet (hub/db/models/
leads.py), so every lead counts as open."""

from collections.abc import Callable

from sqlalchemy import ColumnElement, exists, select

from hub.auth.scope import Scope
from hub.crm.leads.lead_scope import lead_in_scope
from hub.db.models import Customer, Lead


def _has_lead(scope: Scope) -> ColumnElement[bool]:
    return exists(select(Lead.id).where(Lead.customer_id == Customer.id, lead_in_scope(scope)))


STAGES: dict[str, Callable[[Scope], ColumnElement[bool]]] = {"lead": _has_lead}


def best_lead_score(scope: Scope) -> ColumnElement[int]:
    """The customer's best open lead score among the leads `scope` reaches (None: none)."""
    return (
        select(Lead.score)
        .where(Lead.customer_id == Customer.id, lead_in_scope(scope))
        .order_by(Lead.score.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )
