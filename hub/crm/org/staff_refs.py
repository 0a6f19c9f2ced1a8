"""Staff codes the tills send (`staff_id` on purchases and touchpoints) and the staff
records they name. The projection resolves a batch's codes with one statement
(`ids_of_codes`); a code nobody has yet is kept and flagged (`staff_ref` NULL,
`staff_unknown` true) and resolved when a staff member gets that code (`resolve_flagged`,
run by create and by a change of code, and by `storepulse hub org staff resolve`)."""

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Scope
from hub.db.arrays import any_of
from hub.db.models import Purchase, Staff, Touchpoint

FLAGGED = (Purchase, Touchpoint)


def ids_of_codes(session: Session, tenant_id: str, codes: Iterable[str]) -> dict[str, str]:
    """code -> staff id, for those of `codes` the tenant has (left staff included: a sale
    made before someone left is still theirs)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    stmt = select(Staff.code, Staff.id).where(
        Staff.tenant_id == tenant_id, any_of(Staff.code, wanted)
    )
    return {code: staff_id for code, staff_id in session.execute(stmt)}


def resolve_flagged(session: Session, scope: Scope, code: str, staff_id: str) -> int:
    """Point the flagged rows of `code` at `staff_id` (audited); returns how many."""
    resolved = 0
    for model in FLAGGED:
        done = session.execute(
            update(model)
            .where(model.tenant_id == scope.tenant_id, model.staff_unknown, model.staff_id == code)
            .values(staff_ref=staff_id, staff_unknown=False)
        )
        resolved += int(getattr(done, "rowcount", 0) or 0)
    if resolved:
        after = {"code": code, "rows": resolved}
        audit.record(session, scope, "resolve", "staff", staff_id, after=after)
    return resolved


def resolve_all_flagged(session: Session, scope: Scope) -> int:
    """Resolve every flagged row whose code a staff member now has (e.g. after an import
    that bypassed create, or a row projected while its staff record was being created);
    audited as one entry."""
    tenant_id = scope.tenant_id
    resolved = 0
    for model in FLAGGED:
        done = session.execute(
            update(model)
            .where(
                model.tenant_id == tenant_id,
                model.staff_unknown,
                Staff.tenant_id == tenant_id,
                Staff.code == model.staff_id,
            )
            .values(staff_ref=Staff.id, staff_unknown=False)
        )
        resolved += int(getattr(done, "rowcount", 0) or 0)
    if resolved:
        after = {"rows": resolved}
        audit.record(session, scope, "resolve", "staff_refs", tenant_id, after=after)
    return resolved


def unknown_codes(session: Session, tenant_id: str) -> dict[str, int]:
    """code -> rows flagged with it (purchases and touchpoints), most first."""
    counts: dict[str, int] = {}
    for model in FLAGGED:
        stmt = (
            select(model.staff_id, func.count())
            .where(model.tenant_id == tenant_id, model.staff_unknown)
            .group_by(model.staff_id)
        )
        for code, n in session.execute(stmt):
            if code is not None:  # flagged rows always have one
                counts[code] = counts.get(code, 0) + n
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
