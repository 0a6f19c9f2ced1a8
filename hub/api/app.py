"""The hub's web API. Built by a factory; nothing happens at import."""

import logging
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import hub.metrics  # noqa: F401  (registers the hub's metrics before /metrics is read)
from hub.api.allow_header import add_allow_handler
from hub.api.request_id import RequestIdMiddleware
from hub.api.routes import (
    activities,
    api_keys,
    audit,
    auth,
    custom_fields,
    customer_identities,
    customer_lists,
    customers,
    deals,
    exports,
    health,
    households,
    imports,
    leads,
    logins,
    merges,
    metrics,
    offers,
    orders,
    pipelines,
    regions,
    samples,
    staff,
    stores,
    tasks,
    tenant,
    tickets,
    timeline,
    transfers,
    visits,
    wecom,
)
from hub.api.routes.health import LiveState
from hub.api.schemas import Problem
from hub.auth.policy import AuthPolicy
from hub.crm.org.errors import Duplicate, Inconsistent
from hub.errors import ConfigError, Conflict, Forbidden, NotFound, StorageError, Unprocessable
from hub.settings import HubSettings

log = logging.getLogger(__name__)


def build_api(
    settings: HubSettings, session_factory: sessionmaker[Session], live: LiveState | None = None
) -> FastAPI:
    """`live` reports the running hub's MQTT link and CRM projection on /healthz."""
    # Hubs and stores may be offline: /docs loads Swagger UI from the installed fastapi-offline
    # package (FastAPI's self-hosting recipe), never from a CDN. validatorUrl None: Swagger UI
    # would fetch a badge from swagger.io. No /redoc: its bundle fetches a logo from a CDN.
    app = FastAPIOffline(
        title="StorePulse hub",
        version="0.1.0",
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-assets",
        swagger_ui_parameters={"validatorUrl": None},
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.live = live
    app.state.auth_policy = auth_policy(settings)
    for module in (health, metrics, auth, logins, api_keys, wecom):  # each says its own refusals
        app.include_router(module.router)
    for module in (
        exports,  # before customers and leads: /customers/export is not a customer id
        customer_lists,
        customers,
        timeline,
        visits,
        activities,
        tasks,
        tickets,
        customer_identities,
        merges,
        households,
        leads,
        imports,
        custom_fields,
        pipelines,
        deals,
        offers,
        samples,
        orders,
        regions,
        stores,
        staff,
        transfers,
        tenant,
        audit,
    ):
        app.include_router(module.router, responses=_NEEDS_CREDENTIAL)
    add_allow_handler(app)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Duplicate, _conflict)
    app.add_exception_handler(Inconsistent, _conflict)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(Unprocessable, _unprocessable)
    app.add_exception_handler(StorageError, _unavailable)
    app.add_exception_handler(SQLAlchemyError, _unavailable)
    app.add_middleware(RequestIdMiddleware)
    return app


# Every route but /healthz, /metrics and the login ones needs a credential.
_NEEDS_CREDENTIAL: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No valid bearer token or API key"},
    403: {"model": Problem, "description": "The caller's role or key lacks the grant"},
}


def auth_policy(settings: HubSettings) -> AuthPolicy:
    """The token and lockout settings; HubRuntime fills in `auth_secret` when unset."""
    if settings.auth_secret is None:
        raise ConfigError("auth_secret: unset (HubRuntime makes one in data_dir)")
    return AuthPolicy(
        signing_key=settings.auth_secret.get_secret_value(),
        access_ttl=timedelta(minutes=settings.auth_access_token_minutes),
        refresh_ttl=timedelta(days=settings.auth_refresh_token_days),
        session_max=timedelta(days=settings.auth_session_max_days),
        max_failures=settings.auth_login_max_failures,
        lock_for=timedelta(minutes=settings.auth_login_lock_minutes),
    )


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": f"not found: {exc}"})


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


async def _unprocessable(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unprocessable)
    detail = [{"loc": loc, "msg": msg, "type": "value_error"} for loc, msg in exc.problems]
    return JSONResponse(status_code=422, content={"detail": detail})


async def _forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": f"forbidden: {exc}"})


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    # A database failure is the hub's trouble, not the caller's: a declared 503, never a 500.
    log.error("storage failed on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(status_code=503, content={"detail": "storage unavailable"})
