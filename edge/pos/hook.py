"""HTTP hooks for POS systems that call out: POST /pos/checkout and /pos/service (JSON).

The JSON bodies are `CheckoutRecord` / `ServiceRecord` (docs/pos-protocol.md, "HTTP hook").
Bodies are parsed here rather than by FastAPI so a bad one can be dead-lettered with its raw
bytes and a one-line reason. 202 is returned only after `submit` (the outbox write) returned,
so 202 means durable; a full outbox is a 503 the POS retries.
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from edge.config_safety import is_placeholder
from edge.errors import OutboxFull
from edge.pos.profile import PosProfile, resolve_profile
from edge.pos.records import (
    BadRecord,
    CheckoutRecord,
    RecordFault,
    ServiceRecord,
    summarise,
    to_body,
)
from edge.readers.base import Observation
from wire.events import PosCheckout, PosServiceLogged
from wire.redaction import redact_payload

log = structlog.get_logger(__name__)

Submit = Callable[[Observation], Awaitable[None]]
RejectCallback = Callable[[str, bytes], None]
MIN_TOKEN_CHARS = 24
MAX_BODY_BYTES = 256 * 1024


class PosHookConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr = Field(description=f"bearer token, at least {MIN_TOKEN_CHARS} characters")
    profile: str = "sp-text-v1"

    @field_validator("token")
    @classmethod
    def _strong_token(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if is_placeholder(secret):
            raise ValueError(
                "token is a template's placeholder, known to anyone who has the template: "
                "put a random one here and in the POS "
                "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if len(secret) < MIN_TOKEN_CHARS or secret != secret.strip() or len(set(secret)) < 8:
            raise ValueError(
                f"token must be at least {MIN_TOKEN_CHARS} characters, no surrounding spaces, "
                "at least 8 distinct characters (make one with secrets.token_urlsafe())"
            )
        return value


class Accepted(BaseModel):
    accepted: bool = True


class _Hook:
    """What the routes share: the profile, the key, and where records go."""

    def __init__(
        self,
        config: PosHookConfig,
        tenant_key: bytes,
        submit: Submit,
        on_reject: RejectCallback | None,
        profiles: dict[str, PosProfile] | None,
    ) -> None:
        self.profile = resolve_profile(config.profile, profiles)
        self._expected = config.token.get_secret_value().encode()
        self._tenant_key = tenant_key
        self._submit = submit
        self._on_reject = on_reject

    def authorise(self, credentials: HTTPAuthorizationCredentials | None) -> None:
        given = b"" if credentials is None else credentials.credentials.encode()
        if not hmac.compare_digest(given, self._expected):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    async def accept(
        self, request: Request, model: type[CheckoutRecord] | type[ServiceRecord]
    ) -> Accepted:
        raw = b""
        try:
            raw = await _read_capped(request)
            body = hook_body(raw, model, self.profile, self._tenant_key)
        except BadRecord as exc:
            log.warning("pos_hook_rejected", path=request.url.path, reason=exc.reason)
            if self._on_reject is not None:  # the member's phone or ID number stays out of it
                self._on_reject(exc.reason, redact_payload(raw or exc.raw, every_identifier=True))
            raise HTTPException(422, detail=exc.reason) from exc
        try:
            await self._submit(Observation(body=body))
        except OutboxFull as exc:
            log.error("pos_hook_outbox_full", path=request.url.path)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc), headers={"Retry-After": "30"}
            ) from exc
        return Accepted()


def build_pos_hook_router(
    config: PosHookConfig,
    tenant_key: bytes,
    submit: Submit,
    on_reject: RejectCallback | None = None,
    profiles: dict[str, PosProfile] | None = None,
) -> APIRouter:
    """The hook routes; mount with `app.include_router(router)`. ConfigError if no profile."""
    hook = _Hook(config, tenant_key, submit, on_reject, profiles)
    bearer = HTTPBearer(auto_error=False)

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        hook.authorise(credentials)

    router = APIRouter(prefix="/pos", tags=["pos"], dependencies=[Depends(authorised)])

    @router.post(
        "/checkout",
        status_code=202,
        openapi_extra=_request_schema(CheckoutRecord),
        responses=_RESPONSES,
    )
    async def post_checkout(request: Request) -> Accepted:
        """A checkout: 202 once it is in the outbox."""
        return await hook.accept(request, CheckoutRecord)

    @router.post(
        "/service",
        status_code=202,
        openapi_extra=_request_schema(ServiceRecord),
        responses=_RESPONSES,
    )
    async def post_service(request: Request) -> Accepted:
        """A service (blood-pressure check, consultation ...): 202 once it is in the outbox."""
        return await hook.accept(request, ServiceRecord)

    return router


async def _read_capped(request: Request) -> bytes:
    """The body, refused past MAX_BODY_BYTES without reading the rest into memory."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BadRecord(RecordFault.MALFORMED, f"body over {MAX_BODY_BYTES} bytes", bytes(body))
    return bytes(body)


def hook_body(
    raw: bytes,
    model: type[CheckoutRecord] | type[ServiceRecord],
    profile: PosProfile,
    tenant_key: bytes,
) -> PosCheckout | PosServiceLogged:
    """A hook body as the wire body it stands for; BadRecord saying why when it is none."""
    return to_body(_parse(raw, model), profile, tenant_key)


def _parse(
    raw: bytes, model: type[CheckoutRecord] | type[ServiceRecord]
) -> CheckoutRecord | ServiceRecord:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        # Not JSON at all is a malformed body (as a broken text record is); JSON that does
        # not fit the record is a bad value.
        invalid = exc.errors(include_url=False)[0]["type"] == "json_invalid"
        fault = RecordFault.MALFORMED if invalid else RecordFault.BAD_VALUE
        raise BadRecord(fault, summarise(exc)) from exc


def _request_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong bearer token"},
    422: {"description": "the body is not a valid record; `detail` says why"},
    503: {"description": "the gateway outbox is full; retry later"},
}
