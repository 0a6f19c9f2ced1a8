"""Admins create, list and revoke integrations' API keys; a key is shown once."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response

from hub.api.auth_schemas import ApiKeyIn, ApiKeyOut, NewApiKeyOut
from hub.api.deps import AdminDep, SessionDep, SessionFactoryDep
from hub.api.schemas import Problem
from hub.auth import api_keys
from hub.db.models import ApiKey
from hub.errors import RejectedError

router = APIRouter(
    prefix="/api-keys",
    tags=["api keys"],
    responses={
        400: {"model": Problem, "description": "A body that does not parse, or unknown grants"},
        401: {"model": Problem},
        403: {"model": Problem},
        503: {"model": Problem},
    },
)
KeyIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


@router.post("", status_code=201, response_model=NewApiKeyOut)
def create_key(body: ApiKeyIn, sessions: SessionFactoryDep, admin: AdminDep) -> NewApiKeyOut:
    """A new key with the given grants (GET /auth/me lists the grants there are)."""
    try:
        with sessions.begin() as session:
            made = api_keys.create(
                session, admin, body.name, [g.value for g in body.grants], datetime.now(UTC)
            )
            out = NewApiKeyOut(key=made.key, **_fields(made.row))
    except RejectedError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    return out


@router.get("", response_model=list[ApiKeyOut])
def list_keys(session: SessionDep, admin: AdminDep) -> list[ApiKeyOut]:
    """Every key of the tenant, revoked ones too; never the key itself."""
    return [ApiKeyOut(**_fields(k)) for k in api_keys.list_keys(session, admin)]


@router.delete(
    "/{key_id}", status_code=204, response_class=Response, responses={404: {"model": Problem}}
)
def revoke_key(key_id: KeyIdPath, sessions: SessionFactoryDep, admin: AdminDep) -> Response:
    """Revoke a key: it is refused from its next request on."""
    with sessions.begin() as session:
        api_keys.revoke(session, admin, key_id, datetime.now(UTC))
    return Response(status_code=204)


def _fields(k: ApiKey) -> dict[str, Any]:
    return {
        "id": k.id,
        "name": k.name,
        "hint": k.hint,
        "grants": list(k.grants),
        "created_by": k.created_by,
        "created_at": k.created_at,
        "revoked_at": k.revoked_at,
    }
