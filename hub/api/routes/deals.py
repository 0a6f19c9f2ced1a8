"""Deals of the funnel (docs/crm/funnel.md): opened for a customer in scope, changed,
moved from stage to stage with each stage's requirements checked (422 naming every
missing field), listed with the stale flag."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.funnel_schemas import DealOut, DealPageOut, Transition
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS, After
from hub.api.schemas import Problem
from hub.crm.funnel import deals, transitions, views
from hub.crm.funnel.deals import DealChanges, DealDraft
from hub.crm.org.fields import PRINTABLE

router = APIRouter(prefix="/deals", tags=["funnel"], responses={503: {"model": Problem}})
_MOVED: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    409: {"model": Problem, "description": "The deal is closed, or already in that stage"},
    422: {"description": "Each field the deal lacks to enter the stage, named in `loc`"},
}
DealIdPath = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=PRINTABLE, examples=["deal-demo-02"]),
]
Limit = Annotated[int, Query(ge=1, le=views.MAX_LIMIT)]
StageQuery = Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
OwnerQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]


@router.post("", response_model=DealOut, status_code=status.HTTP_201_CREATED, responses=_MOVED)
def open_deal(draft: DealDraft, session: WriteSessionDep, scope: ScopeDep) -> DealOut:
    """A deal for a customer in the caller's scope (404 otherwise), in the first stage of
    its pipeline (the tenant's default unless `pipeline_id`). The owner defaults to the
    caller when they look after customers. Audited."""
    deal = deals.open_deal(session=session, scope=scope, draft=draft)
    return DealOut.of(views.get_deal(session=session, scope=scope, deal_id=deal.id))


@router.get("", response_model=DealPageOut, responses={403: {"model": Problem}})
def list_deals(
    session: SessionDep,
    scope: ScopeDep,
    stage: StageQuery = None,
    owner_staff_id: OwnerQuery = None,
    stale: bool | None = None,
    after: After = None,
    limit: Limit = views.DEFAULT_LIMIT,
) -> DealPageOut:
    """Deals in the caller's scope, oldest first, a page at a time (`after`: the `next`
    of the previous page), filtered by stage key, owner or the stale flag."""
    where = views.DealFilter(stage=stage, owner_staff_id=owner_staff_id, stale=stale)
    page = views.list_deals(session=session, scope=scope, where=where, after=after, limit=limit)
    return DealPageOut(deals=[DealOut.of(d) for d in page.deals], next=page.next_cursor)


@router.get("/{deal_id}", response_model=DealOut, responses=READ_ERRORS)
def get_deal(deal_id: DealIdPath, session: SessionDep, scope: ScopeDep) -> DealOut:
    """One deal with its stage history (each stage it entered, when and by whom)."""
    return DealOut.of(views.get_deal(session=session, scope=scope, deal_id=deal_id))


@router.patch("/{deal_id}", response_model=DealOut, responses=_MOVED)
def change_deal(
    deal_id: DealIdPath, changes: DealChanges, session: WriteSessionDep, scope: ScopeDep
) -> DealOut:
    """Title, owner, amount, expected close date, custom values (`values`): only what is
    sent changes; `null` clears. A closed deal is 409. Audited with what changed."""
    deals.change_deal(session=session, scope=scope, deal_id=deal_id, changes=changes)
    return DealOut.of(views.get_deal(session=session, scope=scope, deal_id=deal_id))


@router.post("/{deal_id}/transitions", response_model=DealOut, responses=_MOVED)
def move_deal(
    deal_id: DealIdPath, body: Transition, session: WriteSessionDep, scope: ScopeDep
) -> DealOut:
    """Move the deal to the stage `to_stage` (a key of its pipeline). A deal lacking what
    the stage requires is 422, one entry of `detail` per missing field (`loc` e.g.
    `["deal", "amount"]`, `["customer", "custom", "farm_size"]`). Leaving won or lost,
    or moving to the current stage, is 409. Audited; the stage history gains a row."""
    deal = deals.reached(session, scope, deal_id, lock=True)
    transitions.move(session=session, scope=scope, deal=deal, to_stage=body.to_stage)
    return DealOut.of(views.get_deal(session=session, scope=scope, deal_id=deal_id))
