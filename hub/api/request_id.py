"""Every request gets an id: the caller's `X-Request-ID` when it is a sane token, else a
new UUIDv7. It is echoed on the response, set in hub.auth.audit.REQUEST_ID for the audit
entries of the request, and is what an operator greps the logs and the audit log for."""

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid6 import uuid7

from hub.auth.audit import REQUEST_ID

HEADER = "x-request-id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class RequestIdMiddleware:
    """Pure ASGI, so the id is set in the context the route (and its thread pool) sees."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER.encode()), b"")
        text = given.decode("latin-1")
        request_id = text if _SANE.match(text) else str(uuid7())
        token = REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
