"""Import jobs: made (audited) when a file arrives, then run in batches, each batch one
transaction that applies its rows and commits the job's progress with them, so a reader
of the job sees how far it got and a crash loses at most one batch (re-running the same
file is harmless: rows are matched, never added twice). The error report is written when
the last batch is done."""

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.custom_fields.definitions import live_fields
from hub.crm.customer_changes import mark_changed
from hub.crm.imports.columns import Kind, Mapping, map_columns
from hub.crm.imports.context import Batch, FileRow, Keys, RowFailed
from hub.crm.imports.customer_rows import import_customer
from hub.crm.imports.lead_rows import import_lead
from hub.crm.imports.reading import FileRefused, Table, read_table
from hub.crm.imports.report import RowProblem, error_report
from hub.crm.imports.stores import StoreBook
from hub.crm.org.scoping import require
from hub.db.models import CustomField, ImportJob
from hub.db.models.imports import DONE, FAILED, RUNNING
from hub.errors import NotFound

IMPORTERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER})
BATCH_ROWS = 200
Progress = Callable[[ImportJob], None]
APPLY: dict[str, Callable[[Batch, FileRow], tuple[str, bool]]] = {
    "customers": import_customer,
    "leads": import_lead,
}


def create_job(
    session: Session, scope: Scope, kind: Kind, file_name: str, data: bytes
) -> ImportJob:
    require(scope.role in IMPORTERS, f"the {scope.role.value} role does not import")
    now = datetime.now(UTC)
    job = ImportJob(
        id=f"imp-{uuid7().hex}", tenant_id=scope.tenant_id, kind=kind, file_name=file_name,
        digest=hashlib.sha256(data).hexdigest(), status="queued", error="", rows_total=0,
        rows_done=0, rows_ok=0, rows_failed=0, created_count=0, created_by=scope.subject,
        stores=None if scope.store_ids is None else sorted(scope.store_ids), created_at=now,
    )  # fmt: skip
    session.add(job)
    after = {"kind": kind, "file_name": file_name, "digest": job.digest, "bytes": len(data)}
    audit.record(session, scope, "import", "import_job", job.id, after=after, now=now)
    session.flush()
    return job


def get_job(session: Session, scope: Scope, job_id: str) -> ImportJob:
    """A job of the caller's tenant that they may read: importers who reach every store
    its creator could import into (an admin's jobs: admins only). Out of that, NotFound."""
    require(scope.role in IMPORTERS, f"the {scope.role.value} role does not import")
    stmt = select(ImportJob).where(ImportJob.id == job_id, ImportJob.tenant_id == scope.tenant_id)
    if scope.store_ids is not None:
        mine = sorted(scope.store_ids)
        stmt = stmt.where(ImportJob.stores.is_not(None), ImportJob.stores.contained_by(mine))
    job = session.scalars(stmt).first()
    if job is None:
        raise NotFound(f"import {job_id}")
    return job


def run_job(
    sessions: sessionmaker[Session],
    scope: Scope,
    job_id: str,
    data: bytes,
    keys: Keys,
    progress: Progress | None = None,
) -> None:
    table = _read(sessions, job_id, data)
    if table is None:
        return
    problems: list[RowProblem] = []
    with sessions.begin() as session:
        fields = live_fields(session, scope.tenant_id, "customer")
        job = session.get_one(ImportJob, job_id)
        mapping = map_columns(_kind(job), table.header, fields if job.kind == "customers" else [])
        problems += [RowProblem(1, table.header[i], why) for i, why in mapping.notes]
        job.status, job.rows_total, job.started_at = RUNNING, len(table.rows), datetime.now(UTC)
    for start in range(0, len(table.rows), BATCH_ROWS):
        chunk = table.rows[start : start + BATCH_ROWS]
        with sessions.begin() as session:
            job = _run_batch(session, scope, job_id, fields, keys, mapping, chunk, table.header,
                             problems)  # fmt: skip
        if progress is not None:
            progress(job)
    _finish(sessions, scope, job_id, problems, progress)


def _kind(job: ImportJob) -> Kind:
    return "leads" if job.kind == "leads" else "customers"


def _read(sessions: sessionmaker[Session], job_id: str, data: bytes) -> Table | None:
    try:
        with sessions.begin() as session:
            job = session.get_one(ImportJob, job_id)
            return read_table(job.file_name, data)
    except FileRefused as exc:
        with sessions.begin() as session:
            job = session.get_one(ImportJob, job_id)
            job.status, job.error, job.finished_at = FAILED, str(exc)[:500], datetime.now(UTC)
        return None


def _run_batch(
    session: Session,
    scope: Scope,
    job_id: str,
    fields: Sequence[CustomField],
    keys: Keys,
    mapping: Mapping,
    rows: Sequence[tuple[int, list[str]]],
    header: Sequence[str],
    problems: list[RowProblem],
) -> ImportJob:
    job = session.get_one(ImportJob, job_id, with_for_update=True)
    batch = Batch(session, scope, StoreBook.load(session, scope), fields, keys, datetime.now(UTC))
    apply, changed = APPLY[job.kind], set()
    for number, cells in rows:
        row = _file_row(mapping, number, cells)
        try:
            record_id, created = apply(batch, row)
        except RowFailed as failed:
            job.rows_failed += 1
            problems += [RowProblem(number, _column(mapping, header, f), why)
                         for f, why in failed.problems]  # fmt: skip
        else:
            job.rows_ok += 1
            job.created_count += int(created)
            changed.add(record_id)
        job.rows_done += 1
    if job.kind == "customers":
        mark_changed(session, scope.tenant_id, changed, batch.now)
    session.flush()
    session.expunge(job)
    return job


def _file_row(mapping: Mapping, number: int, cells: list[str]) -> FileRow:
    standard = {name: cells[i] for i, name in mapping.standard.items()}
    custom = {f.name: cells[i] for i, f in mapping.custom.items() if cells[i]}
    return FileRow(number, standard, custom)


def _column(mapping: Mapping, header: Sequence[str], field: str) -> str:
    """The column as the file spelled it; the field's own name when the file has none."""
    for i, name in mapping.standard.items():
        if name == field:
            return header[i]
    for i, f in mapping.custom.items():
        if field == f"custom:{f.name}":
            return header[i]
    return field.removeprefix("custom:") or "(row)"


def _finish(
    sessions: sessionmaker[Session],
    scope: Scope,
    job_id: str,
    problems: list[RowProblem],
    progress: Progress | None,
) -> None:
    with sessions.begin() as session:
        job = session.get_one(ImportJob, job_id, with_for_update=True)
        job.error_report = error_report(problems)
        job.status, job.finished_at = DONE, datetime.now(UTC)
        counts = {k: getattr(job, k) for k in ("rows_total", "rows_ok", "rows_failed",
                                               "created_count")}  # fmt: skip
        audit.record(session, scope, "import", "import_job", job.id, after={"done": counts})
        session.flush()
        session.expunge(job)
    if progress is not None:
        progress(job)
