"""What a request to the store page must carry, as FastAPI dependencies.

- Reading (the page's data, the SSE stream, JSON): the device cookie of an active paired
  device, else 401 with nothing in it.
- Writing (every POST but the pairing itself): that cookie, the device's CSRF token in
  the `X-StorePulse-CSRF` header (a form or fetch from another site cannot know it), and,
  if the browser says where the request comes from (Origin, Sec-Fetch-Site), this gateway.

The cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's request
carries it), Path=/, kept 400 days (the longest Chromium keeps one); with TLS it is
Secure and named `__Host-…`, which the browser only accepts from HTTPS with no Domain.
"""

import asyncio
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response

from edge.store_device.clerks import ClerkConfig
from edge.store_device.guard import origin_allowed
from edge.store_device.registry import Device, DeviceRegistry, csrf_token

COOKIE = "storepulse_device"
TLS_COOKIE = "__Host-storepulse_device"
CSRF_HEADER = "X-StorePulse-CSRF"
COOKIE_MAX_AGE_S = 400 * 24 * 3600
MAX_TOKEN_CHARS = 100  # a real one has 43


@dataclass(frozen=True)
class PairedRequest:
    """A request from an active paired device."""

    device: Device
    token: str

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.token)


class DeviceAccess:
    def __init__(
        self,
        registry: DeviceRegistry,
        allowed_hosts: frozenset[str],
        *,
        tls: bool,
        clerks: Sequence[ClerkConfig] = (),
        clerk_session_s: float = 12 * 3600,
        recheck_s: float = 30.0,
    ) -> None:
        self.registry = registry
        self.allowed_hosts = allowed_hosts
        self.tls = tls
        self.clerks = {clerk.staff_id: clerk for clerk in clerks}
        self.clerk_session_s = clerk_session_s
        self.recheck_s = recheck_s  # how often an open SSE stream checks its device

    @property
    def cookie_name(self) -> str:
        return TLS_COOKIE if self.tls else COOKIE

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(
            self.cookie_name,
            token,
            max_age=COOKIE_MAX_AGE_S,
            path="/",
            secure=self.tls,
            httponly=True,
            samesite="strict",
        )

    def clerk_of(self, device: Device, now: float | None = None) -> ClerkConfig | None:
        """The clerk signed in on the device, if still configured and not run out."""
        staff_id = device.clerk(time.time() if now is None else now)
        return self.clerks.get(staff_id) if staff_id else None

    async def paired(self, request: Request) -> PairedRequest | None:
        token = request.cookies.get(self.cookie_name, "")
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        device = await asyncio.to_thread(self.registry.by_token, token)
        return PairedRequest(device, token) if device else None

    async def require_device(self, request: Request) -> PairedRequest:
        paired = await self.paired(request)
        if paired is None:
            raise HTTPException(401, "pair this device first")
        return paired

    def check_origin(self, request: Request) -> None:
        """403 for a write a browser says comes from another site."""
        origin = request.headers.get("origin")
        if origin is not None and not origin_allowed(origin, self.allowed_hosts, self.scheme):
            raise HTTPException(403, "cross-origin request refused")
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise HTTPException(403, "cross-site request refused")

    async def require_writer(self, request: Request) -> PairedRequest:
        self.check_origin(request)
        paired = await self.require_device(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), paired.csrf_token.encode()):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
        return paired
