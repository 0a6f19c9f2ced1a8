"""Moving a leaving staff member's book to successors (docs/crm/transfer.md): preview with
`dry_run`, then do it, optionally pinned to the preview's digest."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.api.deps import ScopeDep, StaffIdPath, WriteSessionDep
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.transfer.apply import transfer_book
from hub.crm.transfer.plan import TransferRequest

router = APIRouter(prefix="/staff", tags=["organisation"], responses={503: {"model": Problem}})


class MovedOut(BaseModel):
    kind: str = Field(description="customer, lead, deal or task")
    id: str
    to: str = Field(description="the successor's staff id")


class TransferOut(BaseModel):
    done: bool = Field(description="false for a dry run (or nothing to move)")
    plan_digest: str = Field(description="pass it back to do exactly what was previewed")
    counts: dict[str, dict[str, int]] = Field(description="successor -> kind -> records")
    moved: list[MovedOut]


@router.post(
    "/{staff_id}/transfer",
    response_model=TransferOut,
    responses=WRITE_ERRORS,
)
def transfer(
    staff_id: StaffIdPath, request: TransferRequest, session: WriteSessionDep, scope: ScopeDep
) -> TransferOut:
    """Their customers, leads, open deals and tasks to the successors, by round robin or
    by a customer -> successor list; whoever manages the leaver. One audit entry lists
    every record moved. 409 when `plan_digest` no longer matches the book."""
    made = transfer_book(session=session, scope=scope, staff_id=staff_id, request=request)
    return TransferOut(
        done=made.done,
        plan_digest=made.plan.digest(),
        counts=made.plan.counts(),
        moved=[MovedOut(kind=m.kind, id=m.record_id, to=m.to) for m in made.plan.moves],
    )
