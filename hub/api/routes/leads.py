"""Leads: the web form and the phone system post them (an API key with `leads:write`, or
staff), WeCom calls back (signed with its token, hub/api/routes/wecom.py), and staff
read them in their scope. A repeat of a source's id answers 200 with the first lead."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from sqlalchemy.orm import Session

from hub.api.deps import SessionDep, SettingsDep, WriteSessionDep
from hub.api.lead_schemas import LeadOut, LeadPageOut, PhoneCallLead, WebFormLead
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import Problem
from hub.api.security import require_grant
from hub.auth.grants import CUSTOMERS_READ, LEADS_WRITE
from hub.auth.scope import Scope
from hub.crm.identity_keys import email_key, phone_key
from hub.crm.leads import views
from hub.crm.leads.capture import Captured, NewLead, capture
from hub.errors import RejectedError
from hub.settings import HubSettings

router = APIRouter(
    prefix="/leads",
    tags=["leads"],
    responses={503: {"model": Problem}},
)
LeadsWriteDep = Annotated[Scope, Depends(require_grant(LEADS_WRITE))]
LeadsReadDep = Annotated[Scope, Depends(require_grant(CUSTOMERS_READ))]
LeadIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
_WRITTEN: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    200: {"model": LeadOut, "description": "this source id was sent before: that lead"},
    422: {"description": "a field that is missing or wrong, named"},
}


@router.post("", status_code=201, response_model=LeadOut, responses=_WRITTEN)
def post_web_form(
    body: WebFormLead,
    response: Response,
    session: WriteSessionDep,
    settings: SettingsDep,
    scope: LeadsWriteDep,
) -> LeadOut:
    """A web-form submission: its customer is found or made by phone, then e-mail."""
    key = settings.tenant_key.get_secret_value().encode()
    keys = ([phone_key(key, body.phone)] if body.phone else []) + (
        [email_key(body.email)] if body.email else []
    )
    now = datetime.now(UTC)
    new = NewLead(
        source="web_form",
        source_id=body.form_id,
        captured_at=body.submitted_at or now,
        keys=keys,
        name=body.name,
        note=body.note,
        tags=tuple(dict.fromkeys(body.tags)),
        store_id=body.store_id,
    )
    return _answer(_captured(session, scope, new, settings, now), scope, response)


@router.post("/phone-calls", status_code=201, response_model=LeadOut, responses=_WRITTEN)
def post_phone_call(
    body: PhoneCallLead,
    response: Response,
    session: WriteSessionDep,
    settings: SettingsDep,
    scope: LeadsWriteDep,
) -> LeadOut:
    """A call record from the phone system: the caller's number finds the customer."""
    key = settings.tenant_key.get_secret_value().encode()
    now = datetime.now(UTC)
    new = NewLead(
        source="phone_call",
        source_id=body.call_id,
        captured_at=body.started_at,
        keys=[phone_key(key, body.caller)],
        note=body.note or f"call of {body.duration_seconds} s",
        store_id=body.store_id,
    )
    return _answer(_captured(session, scope, new, settings, now), scope, response)


@router.get("", response_model=LeadPageOut, responses={422: {"description": "bad cursor"}})
def list_leads(
    session: SessionDep,
    scope: LeadsReadDep,
    limit: Annotated[int, Query(ge=1, le=views.MAX_LIMIT)] = views.DEFAULT_LIMIT,
    before: Annotated[str | None, Query(max_length=100)] = None,
) -> LeadPageOut:
    """Leads in the caller's scope, newest first, a page at a time."""
    try:
        page = views.list_leads(session, scope, limit, before)
    except RejectedError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return LeadPageOut(leads=[_out(s) for s in page.leads], next=page.next_cursor)


@router.get("/{lead_id}", response_model=LeadOut, responses={404: {"model": Problem}})
def get_lead(lead_id: LeadIdPath, session: SessionDep, scope: LeadsReadDep) -> LeadOut:
    """One lead with its score and every contribution to it; out of scope is 404."""
    return _out(views.get_lead(session, scope, lead_id))


def _captured(
    session: Session, scope: Scope, new: NewLead, settings: HubSettings, now: datetime
) -> Captured:
    try:
        return capture(session, scope, new, settings.leads.weights, now)
    except RejectedError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _answer(captured: Captured, scope: Scope, response: Response) -> LeadOut:
    """What the writer is shown is what their role is shown of any lead: an API key is
    shown as an integration is (family name, no health data)."""
    response.status_code = 201 if captured.created else 200
    return _out(views.show(scope, captured.lead))


def _out(shown: views.ShownLead) -> LeadOut:
    return LeadOut.model_validate(asdict(shown))
