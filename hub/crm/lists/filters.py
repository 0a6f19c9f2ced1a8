"""What a customer list may be filtered by, each filter a WHERE clause over `customers`.

- store_id / region_id: the customers of that store (or of the region's stores) in the
  sense of hub.crm.customer_scope: home store, or served there;
- tag: the tag is among the customer's tags (jsonb containment, `ix_customers_tags`); a
  health tag asked by a role not shown health tags matches nobody, so it reveals nothing;
- owner_staff_id: who looks after the customer;
- score_min / score_max: the best open lead score (hub.crm.lists.stages.best_lead_score)
  within the bounds; a customer with no lead has no score and is left out;
- last_visit_after (inclusive) / last_visit_before (exclusive): the newest in-store
  touchpoint (VISIT_KINDS) the caller's scope reaches;
- custom: values of custom fields, hub.crm.lists.custom_filters;
- stage: hub.crm.lists.stages;
- q: the name starts with q, case-folded (docs/crm/search.md says why a prefix);
- phone: the customer holds the phone's keyed hash (phones are stored only as hashes, so
  it is an exact match of the normalised number).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true

from hub.auth.masking import Shown
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_of_stores
from hub.crm.identities import Key
from hub.crm.lists.stages import STAGES, best_lead_score
from hub.crm.tags import is_health_tag
from hub.db.models import Customer, Identity, Store, Touchpoint

VISIT_KINDS = ("visit", "checkout", "service", "prompt_acted")  # in the store, not a lead
_TOP = "\U0010ffff"  # above every character: the end of a prefix range in "C" order


@dataclass(frozen=True)
class ListFilters:
    store_id: str | None = None
    region_id: str | None = None
    tag: str | None = None
    owner_staff_id: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    last_visit_after: datetime | None = None
    last_visit_before: datetime | None = None
    custom: dict[str, Any] = field(default_factory=dict)  # name -> jsonb to contain
    stage: str | None = None
    q: str | None = None
    phone: Key | None = None


def name_key() -> ColumnElement[str]:
    """The list's sort key and the prefix search's column (`ix_customers_name_key`)."""
    return func.lower(Customer.name).collate("C")


def clauses(scope: Scope, shown: Shown, f: ListFilters) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.store_id is not None:
        out.append(customer_of_stores([f.store_id]))
    if f.region_id is not None:
        stores = select(Store.id).where(
            Store.tenant_id == scope.tenant_id, Store.region_id == f.region_id
        )
        out.append(customer_of_stores(stores))
    if f.tag is not None:
        hidden = is_health_tag(f.tag) and not shown.health_tags
        out.append(false() if hidden else Customer.tags.contains([f.tag]))
    if f.owner_staff_id is not None:
        out.append(Customer.owner_staff_id == f.owner_staff_id)
    if f.score_min is not None or f.score_max is not None:
        out.append(_score_between(scope, f.score_min, f.score_max))
    out += _last_visit(scope, f.last_visit_after, f.last_visit_before)
    out += [Customer.custom.contains({name: value}) for name, value in sorted(f.custom.items())]
    if f.stage is not None:
        out.append(STAGES[f.stage](scope))
    if f.q is not None:
        prefix = func.lower(f.q)
        key = name_key()
        out.append(and_(key >= prefix, key < prefix + _TOP, func.starts_with(key, prefix)))
    if f.phone is not None:
        kind, value = f.phone
        held = select(Identity.id).where(
            Identity.tenant_id == scope.tenant_id,
            Identity.kind == kind,
            Identity.value == value,
            Identity.customer_id == Customer.id,
        )
        out.append(exists(held))
    return out


def _score_between(scope: Scope, low: int | None, high: int | None) -> ColumnElement[bool]:
    score = best_lead_score(scope)
    return and_(
        score.is_not(None),
        score >= low if low is not None else true(),
        score <= high if high is not None else true(),
    )


def visits_in_scope(scope: Scope) -> ColumnElement[bool]:
    """The in-store touchpoints of the current customer that `scope` reaches."""
    reach: ColumnElement[bool] = true()
    if scope.store_ids is not None:
        owned = Customer.owner_staff_id == scope.staff_id if scope.staff_id else false()
        reach = or_(scope.store_filter(Touchpoint.store_id), owned)
    return and_(Touchpoint.customer_id == Customer.id, Touchpoint.kind.in_(VISIT_KINDS), reach)


def last_visit(scope: Scope) -> ColumnElement[datetime]:
    return (
        select(func.max(Touchpoint.at))
        .where(visits_in_scope(scope))
        .correlate(Customer)
        .scalar_subquery()
    )


def _last_visit(
    scope: Scope, after: datetime | None, before: datetime | None
) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if after is not None:
        out.append(
            exists(select(Touchpoint.id).where(visits_in_scope(scope), Touchpoint.at >= after))
        )
    if before is not None:
        seen = exists(select(Touchpoint.id).where(visits_in_scope(scope)))
        later = exists(select(Touchpoint.id).where(visits_in_scope(scope), Touchpoint.at >= before))
        out.append(and_(seen, ~later))
    return out
