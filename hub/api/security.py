"""Who is calling: a staff member's bearer token or an integration's API key, turned into
the caller's Scope (hub.auth.principals) on every request. The OpenAPI document declares
both schemes, so Swagger UI's "Authorize" logs in through POST /auth/token."""

from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from hub.auth import access_tokens, api_keys, principals
from hub.auth.grants import allows
from hub.auth.policy import AuthPolicy
from hub.auth.scope import Role, Scope

REALM = 'Bearer realm="storepulse-hub"'
bearer = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    scheme_name="OAuth2",
    description="Staff: log in with your login and password; the access token lives 15 "
    "minutes by default, POST /auth/refresh gives a new one.",
    auto_error=False,
)
api_key_header = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="Integrations: a key an admin created (POST /api-keys); only its grants.",
    auto_error=False,
)


def auth_policy(request: Request) -> AuthPolicy:
    policy: AuthPolicy = request.app.state.auth_policy
    return policy


def unauthorized(detail: str, error: str | None = None) -> NoReturn:
    challenge = f'{REALM}, error="{error}"' if error else REALM
    raise HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def _sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def _staff(request: Request, token: str) -> Scope:
    try:
        claims = access_tokens.decode(auth_policy(request), token)
    except access_tokens.InvalidToken:
        unauthorized("invalid or expired token", "invalid_token")
    with _sessions(request)() as session:
        scope = principals.staff_scope(session, claims.staff_id, claims.tenant_id, claims.epoch)
    if scope is None:  # left, login removed, or sessions ended since it was issued
        unauthorized("this token's sessions were ended", "invalid_token")
    return scope


def current_scope(
    request: Request,
    token: Annotated[str | None, Depends(bearer)],
    key: Annotated[str | None, Depends(api_key_header)],
) -> Scope:
    """The caller's scope; 401 with WWW-Authenticate without a valid credential."""
    if token and key:
        unauthorized("send a bearer token or an API key, not both")
    if token:
        return _staff(request, token)
    if key:
        with _sessions(request)() as session:
            row = api_keys.live_key(session, key)
            if row is not None:
                return principals.key_scope(row)
        unauthorized("invalid or revoked API key")
    unauthorized("not authenticated")


def current_staff(request: Request, token: Annotated[str | None, Depends(bearer)]) -> Scope:
    """A staff member's scope; API keys are refused here: they reach only the routes that
    name a grant (`require_grant`)."""
    if not token:
        unauthorized("staff login needed; API keys reach only routes that name a grant")
    return _staff(request, token)


def require_grant(grant: str) -> Callable[[Scope], Awaitable[Scope]]:
    """A dependency: the caller's scope if it may `grant` (its role's grants, or the API
    key's), else 403."""

    async def granted(scope: Annotated[Scope, Depends(current_scope)]) -> Scope:
        if not allows(scope, grant):
            raise HTTPException(status_code=403, detail=f"needs the grant {grant}")
        return scope

    return granted


async def require_admin(scope: Annotated[Scope, Depends(current_staff)]) -> Scope:
    if scope.role is not Role.ADMIN:
        raise HTTPException(status_code=403, detail="admins only")
    return scope
