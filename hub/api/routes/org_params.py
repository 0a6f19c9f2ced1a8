"""Query parameters and error answers the organisation's routes share."""

from typing import Annotated, Any

from fastapi import Query

from hub.api.schemas import Problem
from hub.crm.org.fields import PRINTABLE, SLUG_PATTERN
from hub.crm.org.paging import DEFAULT_LIMIT, MAX_LIMIT

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page; default {DEFAULT_LIMIT}")
]
After = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=PRINTABLE,
        description="The `next` of the previous page: only ids after it",
    ),
]
SlugQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=SLUG_PATTERN)]
READ_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such record in the caller's scope"},
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **READ_ERRORS,
    400: {"model": Problem, "description": "The body is not JSON (or not UTF-8)"},
    403: {"model": Problem, "description": "In scope, but the caller's role may not do this"},
    409: {"model": Problem, "description": "Id or code taken, or fields that disagree"},
}
__all__ = ["DEFAULT_LIMIT", "READ_ERRORS", "WRITE_ERRORS", "After", "Limit", "SlugQuery"]
