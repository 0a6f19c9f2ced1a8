"""Candidate pairs of duplicate customers with the rules that matched them, both records in
the caller's scope (in SQL), merged-away records left out. One equi-join per rule (hash
joins, not a pairwise scan), united and grouped per pair; pages by keyset on the pair."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope
from hub.crm.customer_view import scoped_customer
from hub.crm.duplicates.rules import MatchRule, field_sql
from hub.db.models import Customer
from hub.errors import Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Pair:
    first_id: str  # the smaller id
    second_id: str
    reasons: list[str]  # the names of the rules that matched, sorted


@dataclass(frozen=True)
class PairPage:
    pairs: list[Pair]
    next_cursor: str | None


def _candidates(scope: Scope, rules: Sequence[MatchRule], only: str | None) -> object:
    a, b = aliased(Customer), aliased(Customer)
    selects = []
    for rule in rules:
        same = [field_sql(a, f) == field_sql(b, f) for f in rule.fields]  # NULL never equals
        stmt = select(a.id.label("x"), b.id.label("y"), literal(rule.name).label("rule")).where(
            a.tenant_id == b.tenant_id, a.id < b.id, *same,
            customer_in_scope(scope, a), customer_in_scope(scope, b),
        )  # fmt: skip
        if only is not None:
            stmt = stmt.where(or_(a.id == only, b.id == only))
        selects.append(stmt)
    return union_all(*selects).subquery()


def find_pairs(
    session: Session,
    scope: Scope,
    rules: Sequence[MatchRule],
    *,
    customer_id: str | None = None,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> PairPage:
    shown_to(scope.role)
    if customer_id is not None:
        scoped_customer(session, scope, customer_id)  # NotFound out of scope
    if not rules:
        return PairPage([], None)
    found = _candidates(scope, rules, customer_id)
    x, y, rule = found.c.x, found.c.y, found.c.rule  # type: ignore[attr-defined]
    stmt = select(x, y, func.array_agg(func.distinct(rule))).group_by(x, y)
    if after is not None:
        stmt = stmt.having(tuple_(x, y) > tuple_(*_cursor(after)))
    rows = session.execute(stmt.order_by(x, y).limit(limit + 1)).all()
    pairs = [Pair(r[0], r[1], sorted(r[2])) for r in rows[:limit]]
    more = len(rows) > limit
    return PairPage(pairs, f"{pairs[-1].first_id},{pairs[-1].second_id}" if more else None)


def _cursor(after: str) -> tuple[str, str]:
    parts = after.split(",")
    if len(parts) != 2 or not all(parts):
        raise Unprocessable((["query", "after"], "not a cursor this list gave"))
    return parts[0], parts[1]
