"""405 answers that list every method of the path. Starlette answers with the methods of
the first route that matched the path only (`Allow: POST` on /api-keys, which has GET
too); a client reading `Allow` would think the others did not exist."""

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route


def add_allow_handler(app: FastAPI) -> None:
    async def handler(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            methods: set[str] = set()
            for route in app.router.routes:
                if isinstance(route, Route) and route.methods:
                    match, _ = route.matches({**request.scope, "method": "GET"})
                    if match is not Match.NONE:
                        methods |= route.methods
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(sorted(methods))}
        return await http_exception_handler(request, exc)

    app.add_exception_handler(HTTPException, handler)
