"""Staff of a tenant: read within the caller's scope (phone and e-mail only for managers
and the person themselves), managed by the roles above theirs (scoping.STAFF_ROLES_MANAGED).
Nobody is deleted: a leaver keeps their record, with status "left" and when."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth.scope import Scope
from hub.crm.customer_view import Page
from hub.crm.org.errors import Duplicate, Inconsistent
from hub.crm.org.inputs import StaffChanges, StaffDraft
from hub.crm.org.paging import DEFAULT_LIMIT, id_page
from hub.crm.org.regions import get_region
from hub.crm.org.scoping import may_manage_staff, require, sees_personal, staff_clause
from hub.crm.org.snapshots import snapshot
from hub.crm.org.staff_refs import resolve_flagged
from hub.crm.org.stores import get_store
from hub.crm.org.trail import record_write
from hub.db.models import STAFF_ACTIVE, STAFF_LEFT, Staff
from hub.errors import NotFound


@dataclass(frozen=True)
class StaffFilter:
    region_id: str | None = None
    store_id: str | None = None
    role: str | None = None
    on_shift: bool | None = None
    status: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class StaffRecord:
    """A staff member as the caller may see them: `personal_hidden` means phone and e-mail
    were withheld (None), not absent."""

    staff: Staff
    phone: str | None
    email: str | None
    personal_hidden: bool


def _seen(scope: Scope, staff: Staff) -> StaffRecord:
    if sees_personal(scope, staff.id):
        return StaffRecord(staff, staff.phone, staff.email, personal_hidden=False)
    return StaffRecord(staff, None, None, personal_hidden=True)


def list_staff(
    *,
    session: Session,
    scope: Scope,
    where: StaffFilter | None = None,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[StaffRecord]:
    f = where or StaffFilter()
    stmt = select(Staff).where(staff_clause(scope))
    wanted: list[tuple[Any, Any]] = [
        (Staff.region_id, f.region_id),
        (Staff.home_store_id, f.store_id),
        (Staff.role, f.role),
        (Staff.on_shift, f.on_shift),
        (Staff.status, f.status),
    ]
    stmt = stmt.where(*(column == value for column, value in wanted if value is not None))
    if f.skill is not None:
        stmt = stmt.where(Staff.skills.contains([f.skill]))
    page: Page[Staff] = id_page(session, stmt, Staff.id, after, limit)
    return Page([_seen(scope, s) for s in page.rows], page.next_cursor)


def _staff_row(session: Session, scope: Scope, staff_id: str) -> Staff:
    staff = session.scalars(select(Staff).where(Staff.id == staff_id, staff_clause(scope))).first()
    if staff is None:
        raise NotFound(f"staff {staff_id}")
    return staff


def get_staff(*, session: Session, scope: Scope, staff_id: str) -> StaffRecord:
    """The staff member if the scope reaches them; NotFound otherwise."""
    return _seen(scope, _staff_row(session, scope, staff_id))


def _place(
    session: Session, scope: Scope, store_id: str | None, region_id: str | None
) -> str | None:
    """The region of a staff member homed at `store_id` (in scope) and said to be in
    `region_id` (in scope): the store's, which `region_id` must agree with."""
    if region_id is not None:
        get_region(session=session, scope=scope, region_id=region_id)
    if store_id is None:
        return region_id
    store = get_store(session=session, scope=scope, store_id=store_id)
    if region_id is not None and region_id != store.region_id:
        raise Inconsistent(f"store {store_id} is in region {store.region_id}, not {region_id}")
    return store.region_id


def _save(
    session: Session, scope: Scope, staff: Staff, action: str, before: dict[str, Any] | None
) -> StaffRecord:
    """Flush, refuse a taken code, check the result is still the caller's to see (a manager
    cannot place someone outside their own scope), resolve the till rows of its code."""
    with session.no_autoflush:
        taken = select(Staff.id).where(
            Staff.tenant_id == staff.tenant_id, Staff.code == staff.code, Staff.id != staff.id
        )
        if session.scalar(taken) is not None:
            raise Duplicate(f"staff code {staff.code} is taken")
    try:
        session.flush()
    except IntegrityError as exc:  # taken meanwhile by a concurrent transaction
        raise Duplicate(f"staff code {staff.code} is taken") from exc
    if session.scalar(select(Staff.id).where(Staff.id == staff.id, staff_clause(scope))) is None:
        require(False, "that would place the staff member outside your scope")
    record_write(session, scope, action, staff, before)
    if before is None or before["code"] != staff.code:
        resolve_flagged(session, scope, staff.code, staff.id)
    return _seen(scope, staff)


def staff_row(
    tenant_id: str, draft: StaffDraft, staff_id: str, now: datetime, region_id: str | None
) -> Staff:
    """The row of an active staff member as drafted (region as placed by the caller); the
    one way a Staff row is built, by the API, the demo seed and the tests alike."""
    fields = {k: v for k, v in dict(draft).items() if k not in ("region_id", "role")}
    return Staff(id=staff_id, tenant_id=tenant_id, role=draft.role.value, region_id=region_id,
                 status=STAFF_ACTIVE, created_at=now, updated_at=now, **fields)  # fmt: skip


def create_staff(
    *, session: Session, scope: Scope, draft: StaffDraft, staff_id: str | None = None
) -> StaffRecord:
    """A new staff member (id `stf-…` unless given); rows the tills sent earlier under
    its code are resolved to it in the same transaction."""
    require(may_manage_staff(scope, draft.role), f"you cannot give the role {draft.role}")
    now = datetime.now(UTC)
    region_id = _place(session, scope, draft.home_store_id, draft.region_id)
    staff = staff_row(scope.tenant_id, draft, staff_id or f"stf-{uuid7().hex}", now, region_id)
    session.add(staff)
    return _save(session, scope, staff, "create", None)


def update_staff(
    *, session: Session, scope: Scope, staff_id: str, changes: StaffChanges
) -> StaffRecord:
    staff = _staff_row(session, scope, staff_id)
    given = changes.given()
    require(may_manage_staff(scope, staff.role), f"you do not manage {staff.role} staff")
    if "role" in given:
        require(may_manage_staff(scope, given["role"]), f"you cannot give the role {given['role']}")
        given["role"] = given["role"].value
    if {"home_store_id", "region_id"} & set(given):
        store_id = given.get("home_store_id", staff.home_store_id)
        if "region_id" in given:
            region = given["region_id"]
        elif store_id is not None:
            region = None  # a new home store brings its region
        else:
            region = staff.region_id  # no home store any more: still in their region
        given["region_id"] = _place(session, scope, store_id, region)
    before = snapshot(staff)
    for name, value in given.items():
        setattr(staff, name, value)
    if snapshot(staff) != before:
        staff.updated_at = datetime.now(UTC)
    return _save(session, scope, staff, "update", before)


def leave(*, session: Session, scope: Scope, staff_id: str) -> StaffRecord:
    """Mark a staff member as left (and off shift); leaving twice changes nothing."""
    staff = _staff_row(session, scope, staff_id)
    require(may_manage_staff(scope, staff.role), f"you do not manage {staff.role} staff")
    if staff.status == STAFF_LEFT:
        return _seen(scope, staff)
    before = snapshot(staff)
    now = datetime.now(UTC)
    staff.status, staff.left_at, staff.on_shift, staff.updated_at = STAFF_LEFT, now, False, now
    return _save(session, scope, staff, "leave", before)


def set_shift(*, session: Session, scope: Scope, staff_id: str, on_shift: bool) -> StaffRecord:
    """On or off shift: the person themselves, or whoever manages them."""
    staff = _staff_row(session, scope, staff_id)
    require(
        scope.staff_id == staff.id or may_manage_staff(scope, staff.role),
        "only the person or their manager changes their shift",
    )
    if on_shift and staff.status == STAFF_LEFT:
        raise Inconsistent(f"staff {staff_id} has left")
    if staff.on_shift == on_shift:
        return _seen(scope, staff)
    before = snapshot(staff)
    staff.on_shift, staff.updated_at = on_shift, datetime.now(UTC)
    return _save(session, scope, staff, "shift", before)
