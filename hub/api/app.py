"""The hub's web API. Built by a factory; nothing happens at import."""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

import hub.metrics  # noqa: F401  (registers the hub's metrics before /metrics is read)
from hub.api.allow import method_not_allowed
from hub.api.request_id import RequestIdMiddleware
from hub.api.routes import audit, customers, health, metrics, regions, staff, stores
from hub.api.routes.health import LiveState
from hub.crm.org.errors import Duplicate, Inconsistent
from hub.errors import Forbidden, NotFound, StorageError
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
    for module in (health, customers, regions, stores, staff, audit, metrics):
        app.include_router(module.router)
    app.add_exception_handler(StarletteHTTPException, method_not_allowed)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Duplicate, _conflict)
    app.add_exception_handler(Inconsistent, _conflict)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(StorageError, _unavailable)
    app.add_exception_handler(SQLAlchemyError, _unavailable)
    app.add_middleware(RequestIdMiddleware)
    return app


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": f"not found: {exc}"})


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": str(exc)})


async def _forbidden(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": f"forbidden: {exc}"})


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    # A database failure is the hub's trouble, not the caller's: a declared 503, never a 500.
    log.error("storage failed on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(status_code=503, content={"detail": "storage unavailable"})
