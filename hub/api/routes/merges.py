"""Likely duplicates (by the configured matching rules) and merges: POST /merges folds one
customer into another, POST /merges/{id}/undo restores both as they were, with what
arrived in between. A merged-away customer answers 404 on every read until the undo."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from hub.api.deps import CustomerIdPath, CustomersReadDep, SessionDep, SettingsDep, WriteSessionDep
from hub.api.identity_schemas import MergeDraft, MergeOut, PairOut, PairPage
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import Problem
from hub.api.security import require_grant
from hub.auth.grants import CUSTOMERS_WRITE
from hub.auth.scope import Scope
from hub.crm.duplicates import finder
from hub.crm.merge import service
from hub.crm.org.fields import PRINTABLE

router = APIRouter(tags=["customers"], responses={503: {"model": Problem}})
CustomersWriteDep = Annotated[Scope, Depends(require_grant(CUSTOMERS_WRITE))]
MergeIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
Limit = Annotated[int, Query(ge=1, le=finder.MAX_LIMIT)]
After = Annotated[
    str | None,
    Query(max_length=130, pattern=PRINTABLE, description="`next` of the last page"),
]
_MERGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    409: {"model": Problem, "description": "already merged, already undone, or undo later first"},
    422: {"description": "a customer merged into itself"},
}


@router.get("/duplicates", response_model=PairPage, responses={422: {"description": "bad cursor"}})
def list_duplicates(
    session: SessionDep,
    settings: SettingsDep,
    scope: CustomersReadDep,
    limit: Limit = finder.DEFAULT_LIMIT,
    after: After = None,
) -> PairPage:
    """Pairs of customers in scope that a matching rule finds alike, with the rules."""
    page = finder.find_pairs(session, scope, settings.duplicates.rules, after=after, limit=limit)
    return _page(page)


@router.get(
    "/customers/{customer_id}/duplicates",
    response_model=PairPage,
    responses={404: {"model": Problem}, 422: {"description": "bad cursor"}},
)
def customer_duplicates(
    customer_id: CustomerIdPath,
    session: SessionDep,
    settings: SettingsDep,
    scope: CustomersReadDep,
    limit: Limit = finder.DEFAULT_LIMIT,
    after: After = None,
) -> PairPage:
    """The likely duplicates of one customer in scope, with the rules that found them."""
    page = finder.find_pairs(
        session, scope, settings.duplicates.rules, customer_id=customer_id, after=after, limit=limit
    )
    return _page(page)


@router.post("/merges", status_code=201, response_model=MergeOut, responses=_MERGE_ERRORS)
def post_merge(body: MergeDraft, session: WriteSessionDep, scope: CustomersWriteDep) -> MergeOut:
    """Admins and managers: every touchpoint, purchase, identity and lead of `merged_id`
    moves to `survivor_id`, which fills its blank fields from it. Audited; undoable."""
    row = service.merge(session, scope, body.survivor_id, body.merged_id, datetime.now(UTC))
    return MergeOut.model_validate(row)


@router.post("/merges/{merge_id}/undo", response_model=MergeOut, responses=_MERGE_ERRORS)
def undo_merge(
    merge_id: MergeIdPath, session: WriteSessionDep, scope: CustomersWriteDep
) -> MergeOut:
    """Both records as they were, each with what arrived since through its identifiers.
    409 if already undone, or if the survivor was merged again since (undo that first)."""
    undone = service.undo(session, scope, merge_id, datetime.now(UTC))
    out = MergeOut.model_validate(undone.merge)
    return out.model_copy(
        update={"moved_back": undone.moved_back, "arrived_after_merge": undone.arrived}
    )


def _page(page: finder.PairPage) -> PairPage:
    return PairPage(pairs=[PairOut.model_validate(p) for p in page.pairs], next=page.next_cursor)
