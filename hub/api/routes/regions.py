"""Regions: list, read, create, change (docs/security.md, "Organisation")."""

from fastapi import APIRouter, status

from hub.api.deps import RegionIdPath, ScopeDep, SessionDep, WriteSessionDep
from hub.api.org_schemas import RegionOut, RegionPage
from hub.api.routes.org_params import DEFAULT_LIMIT, READ_ERRORS, WRITE_ERRORS, After, Limit
from hub.api.schemas import Problem
from hub.crm.org import regions
from hub.crm.org.inputs import RegionChanges, RegionDraft

router = APIRouter(prefix="/regions", tags=["organisation"], responses={503: {"model": Problem}})


@router.get("", response_model=RegionPage)
def list_regions(
    session: SessionDep, scope: ScopeDep, after: After = None, limit: Limit = DEFAULT_LIMIT
) -> RegionPage:
    """The regions the caller reaches, in id order."""
    page = regions.list_regions(session=session, scope=scope, after=after, limit=limit)
    return RegionPage(regions=[RegionOut.of(r) for r in page.rows], next=page.next_cursor)


@router.get("/{region_id}", response_model=RegionOut, responses=READ_ERRORS)
def get_region(region_id: RegionIdPath, session: SessionDep, scope: ScopeDep) -> RegionOut:
    return RegionOut.of(regions.get_region(session=session, scope=scope, region_id=region_id))


@router.post(
    "", response_model=RegionOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_region(draft: RegionDraft, session: WriteSessionDep, scope: ScopeDep) -> RegionOut:
    """Admins only."""
    return RegionOut.of(regions.create_region(session=session, scope=scope, draft=draft))


@router.patch("/{region_id}", response_model=RegionOut, responses=WRITE_ERRORS)
def update_region(
    region_id: RegionIdPath, changes: RegionChanges, session: WriteSessionDep, scope: ScopeDep
) -> RegionOut:
    """Admins only; only the fields given change."""
    region = regions.update_region(
        session=session, scope=scope, region_id=region_id, changes=changes
    )
    return RegionOut.of(region)
