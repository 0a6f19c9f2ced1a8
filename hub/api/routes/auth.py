"""Staff login (the OAuth2 password flow), token refresh, logout, and who am I."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.security import OAuth2PasswordRequestForm

from hub.api.auth_schemas import MeOut, RefreshIn, TokenOut
from hub.api.deps import CallerDep, SessionFactoryDep
from hub.api.schemas import Problem
from hub.api.security import REALM, auth_policy
from hub.auth import login as auth_login
from hub.auth.grants import GRANTS, allows
from hub.auth.policy import AuthPolicy
from hub.auth.refresh_tokens import Refused

router = APIRouter(prefix="/auth", tags=["auth"], responses={503: {"model": Problem}})
PolicyDep = Annotated[AuthPolicy, Depends(auth_policy)]
_REFUSED: dict[int | str, dict[str, Any]] = {401: {"model": Problem}}
_BAD_BODY: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A body that does not parse"}
}


@router.post(
    "/token",
    response_model=TokenOut,
    responses={**_REFUSED, **_BAD_BODY, 429: {"model": Problem}},
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    sessions: SessionFactoryDep,
    policy: PolicyDep,
) -> TokenOut:
    """Log in with a staff login and password (form fields `username`, `password`). 401
    for any wrong or unknown login; 429 with Retry-After while the login is locked after
    too many failures. Neither says whether the login exists."""
    now = datetime.now(UTC)
    outcome = auth_login.login(sessions, policy, form.username, form.password, now)
    if isinstance(outcome, auth_login.Refusal):
        if outcome.locked_until is not None:
            wait = max(1, int((outcome.locked_until - now).total_seconds()) + 1)
            raise HTTPException(
                status_code=429,
                detail="too many failed logins; try again later",
                headers={"Retry-After": str(wait)},
            )
        raise HTTPException(
            status_code=401,
            detail="incorrect login or password",
            headers={"WWW-Authenticate": REALM},
        )
    return _out(outcome)


@router.post("/refresh", response_model=TokenOut, responses={**_REFUSED, **_BAD_BODY})
def refresh(body: RefreshIn, sessions: SessionFactoryDep, policy: PolicyDep) -> TokenOut:
    """Trade a refresh token for a new pair; the one given is retired. Giving a retired
    one again revokes every token of its login (someone copied it)."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        outcome = auth_login.refresh(session, policy, body.refresh_token, now)
    if isinstance(outcome, Refused):
        raise HTTPException(
            status_code=401,
            detail=f"refresh token {outcome.value}",
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        )
    return _out(outcome)


@router.post("/logout", status_code=204, response_class=Response, responses=_BAD_BODY)
def logout(body: RefreshIn, sessions: SessionFactoryDep) -> Response:
    """Revoke the refresh token and every other token of its login. 204 whether or not
    the token was known; the access token dies at its expiry."""
    with sessions.begin() as session:
        auth_login.logout(session, body.refresh_token, datetime.now(UTC))
    return Response(status_code=204)


@router.get("/me", response_model=MeOut, responses=_REFUSED)
async def me(scope: CallerDep) -> MeOut:
    """The caller as the hub sees them: tenant, role, row scopes, grants."""
    return MeOut(
        subject=scope.subject,
        tenant_id=scope.tenant_id,
        role=scope.role.value,
        staff_id=scope.staff_id,
        region_ids=None if scope.region_ids is None else sorted(scope.region_ids),
        store_ids=None if scope.store_ids is None else sorted(scope.store_ids),
        grants=sorted(g for g in GRANTS if allows(scope, g)),
    )


def _out(pair: auth_login.TokenPair) -> TokenOut:
    return TokenOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
    )
