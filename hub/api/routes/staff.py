"""Staff: list, read, create, change, leave, shift on and off. Phone and e-mail are
withheld from roles that do not manage the person (docs/security.md, "Organisation")."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from hub.api.deps import ScopeDep, SessionDep, StaffIdPath, WriteSessionDep
from hub.api.org_schemas import StaffOut, StaffPage
from hub.api.routes.org_params import (
    DEFAULT_LIMIT,
    READ_ERRORS,
    WRITE_ERRORS,
    After,
    Limit,
    SlugQuery,
)
from hub.api.schemas import Problem
from hub.auth.scope import Role
from hub.crm.org import staff
from hub.crm.org.inputs import Shift, StaffChanges, StaffDraft

router = APIRouter(prefix="/staff", tags=["organisation"], responses={503: {"model": Problem}})


@router.get("", response_model=StaffPage)
def list_staff(
    session: SessionDep,
    scope: ScopeDep,
    region: SlugQuery = None,
    store: SlugQuery = None,
    role: Annotated[Role | None, Query()] = None,
    on_shift: Annotated[bool | None, Query()] = None,
    status: Annotated[Literal["active", "left"] | None, Query()] = None,
    skill: SlugQuery = None,
    after: After = None,
    limit: Limit = DEFAULT_LIMIT,
) -> StaffPage:
    """The staff the caller reaches, in id order; each filter given narrows the list."""
    where = staff.StaffFilter(
        region_id=region,
        store_id=store,
        role=role.value if role else None,
        on_shift=on_shift,
        status=status,
        skill=skill,
    )
    page = staff.list_staff(session=session, scope=scope, where=where, after=after, limit=limit)
    return StaffPage(staff=[StaffOut.of(r) for r in page.rows], next=page.next_cursor)


@router.get("/{staff_id}", response_model=StaffOut, responses=READ_ERRORS)
def get_staff(staff_id: StaffIdPath, session: SessionDep, scope: ScopeDep) -> StaffOut:
    return StaffOut.of(staff.get_staff(session=session, scope=scope, staff_id=staff_id))


@router.post(
    "", response_model=StaffOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_staff(draft: StaffDraft, session: WriteSessionDep, scope: ScopeDep) -> StaffOut:
    """409 if the code is taken in the tenant. Purchases and touchpoints the tills sent
    earlier under this code (flagged `staff_unknown`) are resolved to the new record."""
    return StaffOut.of(staff.create_staff(session=session, scope=scope, draft=draft))


@router.patch("/{staff_id}", response_model=StaffOut, responses=WRITE_ERRORS)
def update_staff(
    staff_id: StaffIdPath, changes: StaffChanges, session: WriteSessionDep, scope: ScopeDep
) -> StaffOut:
    """Only the fields given change; a new home store without a region takes its region."""
    record = staff.update_staff(session=session, scope=scope, staff_id=staff_id, changes=changes)
    return StaffOut.of(record)


@router.post("/{staff_id}/leave", response_model=StaffOut, responses=WRITE_ERRORS)
def leave(staff_id: StaffIdPath, session: WriteSessionDep, scope: ScopeDep) -> StaffOut:
    """Status left (and off shift), with the time; the record stays. Twice is once."""
    return StaffOut.of(staff.leave(session=session, scope=scope, staff_id=staff_id))


@router.post("/{staff_id}/shift", response_model=StaffOut, responses=WRITE_ERRORS)
def set_shift(
    staff_id: StaffIdPath, shift: Shift, session: WriteSessionDep, scope: ScopeDep
) -> StaffOut:
    """On or off shift: the person themselves or their manager; 409 for a leaver going on."""
    record = staff.set_shift(
        session=session, scope=scope, staff_id=staff_id, on_shift=shift.on_shift
    )
    return StaffOut.of(record)
