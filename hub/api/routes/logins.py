"""Admins give staff a login and password (or a new password)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from hub.api.auth_schemas import LoginIn
from hub.api.deps import AdminDep, SessionFactoryDep
from hub.api.schemas import Problem
from hub.auth.credentials import LoginTaken, set_password
from hub.auth.passwords import WeakPassword
from hub.crm.org.fields import PRINTABLE
from hub.errors import RejectedError

router = APIRouter(
    prefix="/staff",
    tags=["auth"],
    responses={
        400: {
            "model": Problem,
            "description": "A body that does not parse, a weak password or a bad login name",
        },
        401: {"model": Problem},
        403: {"model": Problem},
        503: {"model": Problem},
    },
)
StaffIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]


@router.put(
    "/{staff_id}/login",
    status_code=204,
    response_class=Response,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
def put_login(
    staff_id: StaffIdPath, body: LoginIn, sessions: SessionFactoryDep, admin: AdminDep
) -> Response:
    """Set a staff member's login name and password. Their other sessions end: refresh
    tokens are revoked and access tokens issued before now are refused."""
    try:
        with sessions.begin() as session:
            set_password(session, admin, staff_id, body.login, body.password, datetime.now(UTC))
    except LoginTaken as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except (WeakPassword, RejectedError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return Response(status_code=204)
