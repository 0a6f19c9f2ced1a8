"""The store device page: prompts pushed live to a paired device's browser (SSE), and the
clerk's "Done" turned into a call the gateway makes a `prompt.acted` event of.

Nothing here is served to a browser that is not a paired device (edge/store_device/):
a wrong Host is refused first, an unpaired browser gets the pairing form at `/` and 401
everywhere else, every POST needs the device's CSRF token, and the staff id of an action
is the clerk signed in on the device, never one the request names. `PromptBus` (the fan
out to open pages) lives in edge/prompt_bus.py.
"""

import asyncio
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Annotated
from uuid import UUID

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from edge.clerk_page import PAGE_HEADERS, STATIC_DIR, render_clerk_page, render_pairing_page
from edge.counter_services import (
    DEFAULT_SERVICES,
    FAMILY_PURCHASE,
    CounterService,
    page_services,
)
from edge.errors import EdgeError
from edge.prompt_bus import Action, PromptBus, prompt_notice
from edge.store_device.access import DeviceAccess, PairedRequest
from edge.store_device.guard import HostGuard
from edge.store_device.routes import build_device_router
from edge.store_locale import DEFAULT_STORE_LOCALE, StoreLocale

__all__ = ["ActedRequest", "Action", "PromptBus", "build_store_app", "make_server"]

log = logging.getLogger(__name__)

OnActed = Callable[[UUID, Action, str | None], Awaitable[None]]
# prompt, service type, clerk, the household member a 家属代购 was for
OnService = Callable[[UUID, str, str | None, str | None], Awaitable[None]]

ACTED = Counter("storepulse_prompts_acted_total", "Prompts acted on by clerks", ["action"])
SERVICES = Counter("storepulse_counter_services_total", "Counter services ticked", ["service"])
BAD_REQUESTS = Counter("storepulse_store_page_bad_requests_total", "Invalid store page requests")


class ActedRequest(BaseModel):
    """What the clerk did. No staff id: it is the clerk signed in on the device, and a body
    that names one is refused (422), so no client believes it chose who acted."""

    model_config = ConfigDict(extra="forbid")

    action: Action


class ActedResponse(BaseModel):
    prompt_id: UUID
    state: Action


class ServiceRequest(BaseModel):
    """A counter service ticked on a prompt; the clerk is the one signed in, as for Done."""

    model_config = ConfigDict(extra="forbid")

    service_type: str = Field(max_length=48)
    for_customer_id: str | None = Field(
        default=None,
        max_length=200,
        description="家属代购: the member of the prompt's household it was for",
    )


class ServiceResponse(BaseModel):
    prompt_id: UUID
    service_type: str
    logged: bool = Field(description="false: it was ticked on this prompt before")


def _check_family_member(bus: PromptBus, prompt_id: UUID, request: ServiceRequest) -> None:
    """A named member must be another member of the prompt's household, and only a
    家属代购 names one (422 otherwise)."""
    if request.for_customer_id is None:
        return
    if request.service_type != FAMILY_PURCHASE:
        raise HTTPException(422, "only a family_purchase names whom it was for")
    prompt = bus.get(prompt_id)
    household = prompt.household if prompt else None
    if household is None or request.for_customer_id not in {
        m.customer_id for m in household.members
    }:
        raise HTTPException(422, "not a member of this customer's household")


def _is_loopback_peer(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def build_store_app(
    bus: PromptBus,
    on_acted: OnActed,
    health: Callable[[], dict[str, object]],
    *,
    access: DeviceAccess,
    on_service: OnService,
    services: Sequence[CounterService] = DEFAULT_SERVICES,
    store_locale: StoreLocale = DEFAULT_STORE_LOCALE,
    ping_seconds: float = 15.0,
    retry_ms: int = 2000,
) -> FastAPI:
    """The page's app, labelled in `store_locale`, guarded by `access`. Callers may
    `include_router` more (the POS hooks) and serve it with uvicorn (see `make_server`)."""
    app = FastAPI(title="StorePulse store page", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(HostGuard, allowed=access.allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(build_device_router(access))
    device = Annotated[PairedRequest, Depends(access.require_device)]
    writer = Annotated[PairedRequest, Depends(access.require_writer)]
    service_types = {service.type for service in services}

    def acting_clerk(paired: PairedRequest) -> str | None:
        """Who acts: the clerk signed in on the device (403 if clerks exist and none is)."""
        clerk = access.clerk_of(paired.device)
        if access.clerks and clerk is None:
            raise HTTPException(403, "a clerk signs in on this device first")
        return clerk.staff_id if clerk else None

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        BAD_REQUESTS.inc()
        log.warning("bad store page request %s %s: %s", request.method, request.url.path, exc)
        return await request_validation_exception_handler(request, exc)

    @app.get("/", include_in_schema=False)
    async def page(request: Request) -> HTMLResponse:
        paired = await access.paired(request)
        if paired is None:
            return HTMLResponse(render_pairing_page(store_locale), headers=PAGE_HEADERS)
        clerk = access.clerk_of(paired.device)
        session = {
            "csrf_token": paired.csrf_token,
            "device": {"id": paired.device.device_id, "name": paired.device.name},
            "clerks": [{"staff_id": c.staff_id, "name": c.name} for c in access.clerks.values()],
            "clerk": {"staff_id": clerk.staff_id, "name": clerk.name} if clerk else None,
            "services": page_services(services, store_locale.locale),
        }
        return HTMLResponse(render_clerk_page(store_locale, session), headers=PAGE_HEADERS)

    @app.get("/healthz")
    async def healthz(request: Request) -> JSONResponse:
        # The box's own monitoring (loopback) or a paired device; counters, no customers.
        if not _is_loopback_peer(request):
            await access.require_device(request)
        return JSONResponse(health())

    @app.get("/prompts/recent")
    async def recent(_paired: device) -> Response:
        body = ",".join(prompt_notice(p, s).data for p, s in bus.recent())
        return Response(f"[{body}]", media_type="application/json")

    @app.get("/prompts/stream")
    async def stream(paired: device) -> EventSourceResponse:
        events = _sse(bus, retry_ms, access, paired.device.device_id)
        return EventSourceResponse(events, ping=ping_seconds, send_timeout=10)

    @app.post("/prompts/{prompt_id}/acted", status_code=202)
    async def acted(prompt_id: UUID, request: ActedRequest, paired: writer) -> ActedResponse:
        staff_id = acting_clerk(paired)
        claim = bus.claim(prompt_id)
        if claim == "unknown":
            raise HTTPException(404, "unknown prompt")
        if claim == "taken":
            raise HTTPException(409, "prompt already acted on")
        try:
            await on_acted(prompt_id, request.action, staff_id)
        except EdgeError as exc:  # e.g. OutboxFull: the clerk may press again
            bus.release(prompt_id)
            log.error("prompt %s not recorded: %s", prompt_id, exc)
            raise HTTPException(503, "could not record the action; try again") from exc
        except BaseException:
            bus.release(prompt_id)
            raise
        bus.settle(prompt_id, request.action)
        ACTED.labels(request.action).inc()
        return ActedResponse(prompt_id=prompt_id, state=request.action)

    @app.post("/prompts/{prompt_id}/services", status_code=202)
    async def service(
        prompt_id: UUID, request: ServiceRequest, paired: writer, response: Response
    ) -> ServiceResponse:
        staff_id = acting_clerk(paired)
        kind = request.service_type
        if kind not in service_types:
            raise HTTPException(
                422,
                f"unknown service_type {kind!r}; this store offers: "
                + ", ".join(sorted(service_types)),
            )
        _check_family_member(bus, prompt_id, request)
        tick = bus.tick(prompt_id, kind)
        if tick == "unknown":
            raise HTTPException(404, "unknown prompt")
        if tick == "already":
            response.status_code = 200
            return ServiceResponse(prompt_id=prompt_id, service_type=kind, logged=False)
        try:
            await on_service(prompt_id, kind, staff_id, request.for_customer_id)
        except EdgeError as exc:  # e.g. OutboxFull: the clerk may tap again
            bus.untick(prompt_id, kind)
            log.error("service %s on prompt %s not recorded: %s", kind, prompt_id, exc)
            raise HTTPException(503, "could not record the service; try again") from exc
        except BaseException:
            bus.untick(prompt_id, kind)
            raise
        bus.redraw(prompt_id)
        SERVICES.labels(kind).inc()
        return ServiceResponse(prompt_id=prompt_id, service_type=kind, logged=True)

    return app


async def _sse(
    bus: PromptBus, retry_ms: int, access: DeviceAccess, device_id: str
) -> AsyncIterator[ServerSentEvent]:
    # Subscribing inside the generator: its `finally` always runs, so no page leaks.
    subscription, backlog = bus.subscribe()
    try:
        yield ServerSentEvent(comment="storepulse", retry=retry_ms)
        for kept in backlog:
            yield ServerSentEvent(data=kept.data, event=kept.event)
        checked = time.monotonic()
        while True:
            if time.monotonic() - checked >= access.recheck_s:
                # A revoked device's open stream ends within recheck_s, busy or idle.
                if not await asyncio.to_thread(access.registry.is_active, device_id):
                    log.info("device %s revoked: its stream ends", device_id)
                    return
                checked = time.monotonic()
            if not await subscription.ready(access.recheck_s):
                continue
            notice = await subscription.next()
            if notice is None:
                return
            yield ServerSentEvent(data=notice.data, event=notice.event)
    finally:
        bus.unsubscribe(subscription)


def make_server(
    app: FastAPI, port: int, host: str = "127.0.0.1", tls: tuple[Path, Path] | None = None
) -> uvicorn.Server:
    """A uvicorn server for the page, HTTPS with `tls` (certificate, key); the caller runs
    `await server.serve()`."""
    certfile, keyfile = (str(tls[0]), str(tls[1])) if tls else (None, None)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        proxy_headers=False,  # the client address is the peer's (healthz trusts loopback)
    )
    return uvicorn.Server(config)
