"""Imports of customers and leads (docs/crm/import-export.md): a multipart upload answers
202 with the job at once, the job runs in a thread of its own, its progress is read back,
and its error report downloaded when it is done."""

import re
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile, status

from hub.api.deps import RecordIdPath, ScopeDep, SessionDep, SessionFactoryDep, SettingsDep
from hub.api.import_schemas import ImportJobOut
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.imports.background import start_job
from hub.crm.imports.context import Keys
from hub.crm.imports.jobs import create_job, get_job
from hub.db.models.imports import DONE

router = APIRouter(prefix="/imports", tags=["imports"], responses={503: {"model": Problem}})
MAX_BYTES = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    413: {"model": Problem, "description": f"a file over {MAX_BYTES} bytes"},
    422: {"description": "no file, or a kind that is not customers or leads"},
}


@router.post(
    "", status_code=status.HTTP_202_ACCEPTED, response_model=ImportJobOut, responses=_UPLOAD_ERRORS
)
def post_import(
    file: Annotated[UploadFile, File(description=".csv (UTF-8), .xlsx, .xls or .ods")],
    kind: Annotated[Literal["customers", "leads"], Form()],
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    scope: ScopeDep,
) -> ImportJobOut:
    """Admins, regional and store managers. The job is queued and runs at once in the
    background: follow it with GET /imports/{id}. A row naming a store outside the
    caller's is that row's error, not a refusal of the file."""
    data = file.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise HTTPException(status_code=413, detail=f"at most {MAX_BYTES} bytes a file")
    with sessions.begin() as session:
        job = create_job(session, scope, kind, _file_name(file.filename), data)
        out = ImportJobOut.of(job)
    keys = Keys(settings.tenant_key.get_secret_value().encode(), settings.leads.weights)
    start_job(sessions, scope, out.id, data, keys)
    return out


@router.get("/{import_id}", response_model=ImportJobOut, responses=READ_ERRORS)
def get_import(import_id: RecordIdPath, session: SessionDep, scope: ScopeDep) -> ImportJobOut:
    """The job's progress: rows done of rows total, how many went in and how many failed.
    Admins see every import of the tenant, others their own."""
    return ImportJobOut.of(get_job(session, scope, import_id))


@router.get(
    "/{import_id}/errors.xlsx",
    response_class=Response,
    responses={
        **READ_ERRORS,
        200: {"content": {XLSX: {}}, "description": "row, column, reason: one line a problem"},
        409: {"model": Problem, "description": "the job has not finished"},
    },
)
def get_import_errors(import_id: RecordIdPath, session: SessionDep, scope: ScopeDep) -> Response:
    """The error report of a finished job (a header row only when every row went in)."""
    job = get_job(session, scope, import_id)
    if job.status != DONE or job.error_report is None:
        raise HTTPException(status_code=409, detail=f"the import is {job.status}")
    headers = {"Content-Disposition": f'attachment; filename="{job.id}-errors.xlsx"'}
    return Response(job.error_report, media_type=XLSX, headers=headers)


def _file_name(raw: str | None) -> str:
    """The upload's own name, without folders or control characters; it picks the reader."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", PurePath((raw or "").replace("\\", "/")).name)
    return name[-255:] or "upload"
