"""Doing a transfer: the plan made again under row locks, checked, and written in one
transaction with one audit entry that lists every record moved and to whom. History
(touchpoints, purchases, stage history, closed deals) stays where it is: only ownership
moves."""

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.org.errors import Inconsistent
from hub.crm.org.scoping import may_manage_staff, require, staff_clause
from hub.crm.transfer.owned import OWNED
from hub.crm.transfer.plan import Plan, TransferRequest, make_plan
from hub.db.models import STAFF_ACTIVE, Staff
from hub.errors import NotFound, Unprocessable

# Who can look after customers: not admins, not field engineers.
OWNING_ROLES = frozenset({Role.STAFF.value, Role.STORE_MANAGER.value, Role.REGIONAL_MANAGER.value})
SHOWN_IDS = 20  # of missing or unknown ids in an error


@dataclass(frozen=True)
class Transfer:
    plan: Plan
    done: bool  # False: a dry run


def transfer_book(
    *, session: Session, scope: Scope, staff_id: str, request: TransferRequest
) -> Transfer:
    leaver = _reached(session, scope, staff_id)
    require(may_manage_staff(scope, leaver.role), f"you do not manage {leaver.role} staff")
    _check_successors(session, scope, leaver.id, request.everyone())
    plan = make_plan(session, scope.tenant_id, leaver.id, request, lock=not request.dry_run)
    if plan.missing or plan.unknown:
        raise Unprocessable(
            *(
                (["body", "customers"], f"{what}: {ids[:SHOWN_IDS]}")
                for what, ids in (("not named", plan.missing), (f"not {leaver.id}'s", plan.unknown))
                if ids
            )
        )
    if request.plan_digest is not None and request.plan_digest != plan.digest():
        raise Inconsistent("the book changed since the preview: preview again")
    if request.dry_run or not plan.moves:
        return Transfer(plan, done=False)
    for kind in OWNED:
        moves = [m for m in plan.moves if m.kind == kind.kind]
        if moves:
            session.execute(
                text(
                    f"UPDATE {kind.table} SET {kind.owner} = v.to_staff FROM unnest("
                    f"CAST(:ids AS {kind.id_type}[]), CAST(:tos AS text[])) AS v(id, to_staff) "
                    f"WHERE {kind.table}.{kind.owner} = :leaver AND {kind.table}.id = v.id"
                ),
                {
                    "ids": [m.record_id for m in moves],
                    "tos": [m.to for m in moves],
                    "leaver": leaver.id,
                },
            )
    audit.record(
        session,
        scope,
        "transfer",
        "staff",
        leaver.id,
        before={"owner": leaver.id},
        after={
            "rule": request.rule,
            "counts": plan.counts(),
            "moved": [[m.kind, m.record_id, m.to] for m in plan.moves],
        },
    )
    return Transfer(plan, done=True)


def _reached(session: Session, scope: Scope, staff_id: str) -> Staff:
    found = session.scalars(select(Staff).where(Staff.id == staff_id, staff_clause(scope))).first()
    if found is None:
        raise NotFound(f"staff {staff_id}")
    return found


def _check_successors(session: Session, scope: Scope, leaver: str, named: list[str]) -> None:
    if leaver in named:
        raise Unprocessable((["body", "successors"], "the leaver cannot succeed themselves"))
    rows = session.scalars(select(Staff).where(Staff.id.in_(named), staff_clause(scope))).all()
    fit = {s.id for s in rows if s.status == STAFF_ACTIVE and s.role in OWNING_ROLES}
    unfit = [s for s in named if s not in fit]
    if unfit:
        why = (
            f"{unfit[:SHOWN_IDS]} are not active staff in your scope who can look after "
            "customers (staff, store or regional managers)"
        )
        raise Unprocessable((["body", "successors"], why))
