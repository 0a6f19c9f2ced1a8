"""A 405's Allow header lists every method of the path. Starlette answers from the first
route whose path matches, so with GET /regions and POST /regions as two routes, an
OPTIONS /regions said `Allow: GET` only."""

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods:
            match, _child = route.matches(request.scope)
            if match is not Match.NONE:
                methods |= route.methods
    return JSONResponse(
        status_code=405,
        content={"detail": exc.detail},
        headers={"Allow": ", ".join(sorted(methods))},
    )
