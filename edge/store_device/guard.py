"""The Host header against an allow-list, before anything else (DNS rebinding), and the
Origin of a write.

A page on an attacker's site can point its own name at the gateway's LAN address (DNS
rebinding) and then read the gateway "same-origin"; its requests then carry the
attacker's name in Host. So every request whose Host is not a name the gateway is known
by gets 421 (400 without a Host), static files and the POS hook included. The names:
the bind address (unless it is a wildcard such as 0.0.0.0), localhost, 127.0.0.1, ::1,
and `store_page.allowed_hosts` (the LAN address or name the devices open).
"""

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


def allowed_host_names(bind_host: str, extra: Iterable[str]) -> frozenset[str]:
    names = {n.lower() for n in LOOPBACK_NAMES}
    if bind_host.strip("[]") not in WILDCARDS:
        names.add(bind_host.strip("[]").lower())
    names.update(name.strip().strip("[]").lower().rstrip(".") for name in extra)
    return frozenset(names)


def host_name(host_header: str) -> str:
    """'Example.com:8090' -> 'example.com', '[::1]:8090' -> '::1'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def origin_allowed(origin: str, allowed: frozenset[str], scheme: str) -> bool:
    """An Origin header names this gateway: the page's own scheme and an allowed name."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme == scheme and (parts.hostname or "") in allowed


class HostGuard:
    """Pure ASGI (streams such as SSE pass through untouched)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan; the page has no websockets
            await self.app(scope, receive, send)
            return
        hosts = [v.decode("latin-1") for k, v in scope["headers"] if k == b"host"]
        if len(hosts) != 1:
            await _refuse(send, 400, b"a single Host header is needed")
        elif host_name(hosts[0]) not in self.allowed:
            await _refuse(send, 421, b"this gateway is not known by that name")
        else:
            await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, text: bytes) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"%d" % len(text)),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
