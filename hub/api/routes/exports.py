"""Exports of customers and leads as CSV or XLSX, streamed: the caller's scope (in SQL), as
much as their role is shown, audited with the row count before the first byte."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from hub.api.deps import CustomersReadDep, SessionFactoryDep
from hub.api.schemas import Problem
from hub.crm.exports.service import MEDIA_TYPES, Format, Kind, export

router = APIRouter(tags=["exports"], responses={403: {"model": Problem}, 503: {"model": Problem}})
FormatQuery = Annotated[Format, Query(alias="format", description="csv (UTF-8 with BOM) or xlsx")]


def _responses(kind: Kind) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {MEDIA_TYPES["csv"]: {}, MEDIA_TYPES["xlsx"]: {}},
                  "description": f"the {kind} in the caller's scope, masked by role"}}  # fmt: skip


@router.get(
    "/customers/export", response_class=StreamingResponse, responses=_responses("customers")
)
def export_customers(
    sessions: SessionFactoryDep, scope: CustomersReadDep, fmt: FormatQuery = "csv"
) -> StreamingResponse:
    """Every customer the caller reaches, one row each; custom values for the roles shown
    health data."""
    return _stream(sessions, scope, "customers", fmt)


@router.get("/leads/export", response_class=StreamingResponse, responses=_responses("leads"))
def export_leads(
    sessions: SessionFactoryDep, scope: CustomersReadDep, fmt: FormatQuery = "csv"
) -> StreamingResponse:
    """Every lead the caller reaches, one row each."""
    return _stream(sessions, scope, "leads", fmt)


def _stream(
    sessions: SessionFactoryDep, scope: CustomersReadDep, kind: Kind, fmt: Format
) -> StreamingResponse:
    download = export(sessions, scope, kind, fmt)
    headers = {
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"',
        "X-Row-Count": str(download.rows),
    }
    return StreamingResponse(download.chunks, media_type=MEDIA_TYPES[fmt], headers=headers)
