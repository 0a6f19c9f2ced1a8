"""`storepulse import customers FILE` / `storepulse import leads FILE`: a file into the
hub's database as an admin of `--tenant` (audited as `cli:<os user>`), the same job the
API runs (hub/crm/imports/jobs.py), with a progress bar. The error report is written
beside the file (`--errors` to put it elsewhere) when any row failed."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storepulse.org_support import ConfigOpt, TenantOpt, cli_scope, console, fail

if TYPE_CHECKING:
    from hub.db.models import ImportJob

import_app = typer.Typer(help="Import customers or leads from CSV or a spreadsheet.",
                         no_args_is_help=True)  # fmt: skip
FileArg = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help=".csv (UTF-8), .xlsx, .xls or .ods")
]
ErrorsOpt = Annotated[
    Path | None,
    typer.Option("--errors", help="where the error report goes (default: FILE.errors.xlsx)"),
]


@import_app.command("customers")
def import_customers(
    file: FileArg, tenant: TenantOpt, config: ConfigOpt = None, errors: ErrorsOpt = None
) -> None:
    """Customers: matched by phone, member number or e-mail, or made; never twice."""
    _import("customers", file, tenant, config, errors)


@import_app.command("leads")
def import_leads(
    file: FileArg, tenant: TenantOpt, config: ConfigOpt = None, errors: ErrorsOpt = None
) -> None:
    """Leads: once per row id (or per row content when the file has no id column)."""
    _import("leads", file, tenant, config, errors)


def _import(
    kind: Literal["customers", "leads"],
    file: Path,
    tenant: str,
    config: Path | None,
    errors: Path | None,
) -> None:
    from hub.admin_db import admin_sessions
    from hub.crm.imports.context import Keys
    from hub.crm.imports.jobs import create_job, run_job
    from hub.db.models import ImportJob
    from hub.errors import ConfigError, Forbidden, StorageError
    from hub.settings import load_settings

    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc
    data, scope = file.read_bytes(), cli_scope(tenant)
    keys = Keys(settings.tenant_key.get_secret_value().encode(), settings.leads.weights)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    try:
        with admin_sessions(settings) as sessions, Progress(*columns) as bar:
            with sessions.begin() as session:
                job_id = create_job(session, scope, kind, file.name, data).id
            task = bar.add_task(f"{kind} from {file.name}", total=None)

            def moved(job: ImportJob) -> None:
                bar.update(task, total=job.rows_total, completed=job.rows_done)

            run_job(sessions, scope, job_id, data, keys, moved)
            with sessions() as session:
                job = session.get_one(ImportJob, job_id)
    except (StorageError, Forbidden) as exc:
        raise fail(str(exc), 3) from exc
    _report(job, errors or file.with_name(file.name + ".errors.xlsx"))


def _report(job: "ImportJob", errors: Path) -> None:
    if job.status != "done":
        raise fail(f"{job.file_name}: {job.error}", 2)
    console().print(
        f"{job.id}: {job.rows_ok} of {job.rows_total} rows in ({job.created_count} new), "
        f"{job.rows_failed} failed",
        highlight=False,
    )
    if job.rows_failed and job.error_report is not None:
        errors.write_bytes(job.error_report)
        console().print(f"error report: {errors}", highlight=False)
        raise typer.Exit(1)
