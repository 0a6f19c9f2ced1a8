"""Pipelines of the funnel (docs/crm/funnel.md): the tenant's, the default made on first
use; admins add more."""

from fastapi import APIRouter, status

from hub.api.deps import RecordIdPath, ScopeDep, SessionDep, WriteSessionDep
from hub.api.funnel_schemas import PipelineOut
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.funnel import pipelines
from hub.crm.funnel.pipelines import PipelineDraft

router = APIRouter(prefix="/pipelines", tags=["funnel"], responses={503: {"model": Problem}})


@router.get("", response_model=list[PipelineOut], responses={403: {"model": Problem}})
def list_pipelines(session: WriteSessionDep, scope: ScopeDep) -> list[PipelineOut]:
    """The tenant's pipelines, the default first (made, six stages, the first time the
    tenant's funnel is used), each with its stages in order."""
    found = pipelines.list_pipelines(session=session, scope=scope)
    return [PipelineOut.of(p) for p in found]


@router.post(
    "", response_model=PipelineOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS
)
def create_pipeline(draft: PipelineDraft, session: WriteSessionDep, scope: ScopeDep) -> PipelineOut:
    """Admins only. Open stages first, then one `won` and one `lost` stage. `required`
    names what a deal must have to enter: `amount`, `owner_staff_id`,
    `expected_close_on`, `title`, or a custom field as `deal.<name>` / `customer.<name>`
    (422 if the tenant has no such field). 409 if the name is taken."""
    return PipelineOut.of(pipelines.create_pipeline(session=session, scope=scope, draft=draft))


@router.get("/{pipeline_id}", response_model=PipelineOut, responses=READ_ERRORS)
def get_pipeline(pipeline_id: RecordIdPath, session: SessionDep, scope: ScopeDep) -> PipelineOut:
    """One pipeline of the tenant with its stages."""
    return PipelineOut.of(
        pipelines.get_pipeline(session=session, scope=scope, pipeline_id=pipeline_id)
    )
