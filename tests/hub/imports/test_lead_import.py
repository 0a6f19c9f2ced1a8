"""Leads from CSV (UTF-8 with and without a byte-order mark), once per row id or per row
content; GBK refused as a whole; progress committed batch by batch; the CLI's import."""

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.auth.scope import Role, Scope
from hub.crm.imports import jobs
from hub.crm.imports.context import Keys
from hub.crm.leads.config import ScoreWeights
from hub.db.models import Customer, ImportJob, Lead
from hub.demo.seed import SeedResult
from storepulse.cli import app
from tests.hub.callers import CallerSpec, client_as
from tests.hub.conftest import TENANT_KEY
from tests.hub.imports.files import finished, upload

WITH_IDS = (
    "编号,姓名,手机,门店,备注\r\n"
    "F-1,林一,138 1111 0001,store-sh-xuhui,想了解血压计\r\n"
    "F-2,林二,138 1111 0002,store-sh-xuhui,\r\n"
    "F-1,林一,138-1111-0001,store-sh-xuhui,想了解血压计\r\n"  # the same lead again
    "F-3,林三,,store-sh-xuhui,no contact\r\n"
)
WITHOUT_IDS = (
    "name,phone,store,note\n"
    "A,139 2222 0001,store-sh-jingan,x\n"
    "A,+86 139-2222-0001,store-sh-jingan,x\n"
)


def _leads(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Lead).where(Lead.source == "import")) or 0


def test_leads_once_per_id_or_content_with_or_without_bom(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = client_as(sessions, CallerSpec("imp-leads", "admin"))
    bom = "\ufeff".encode() + WITH_IDS.encode()
    for _run in range(2):
        job = finished(admin, upload(admin, "leads", "form.csv", bom)["id"])
        assert (job["rows_total"], job["rows_ok"], job["rows_failed"]) == (4, 3, 1), job
    assert job["created"] == 0  # the second run
    assert _leads(sessions) == 2
    with sessions() as s:
        first = s.scalars(select(Lead).where(Lead.source_id == "F-1")).one()
        assert (first.name, first.store_id) == ("林一", "store-sh-xuhui")
        assert first.note == "想了解血压计"
        assert s.get_one(Customer, first.customer_id or "").status == "provisional"

    for _run in range(2):  # no id column: the digest of each row's normalised content
        job = finished(admin, upload(admin, "leads", "plain.csv", WITHOUT_IDS.encode())["id"])
        assert (job["rows_ok"], job["rows_failed"]) == (2, 0), job
    assert _leads(sessions) == 3  # both rows say the same once normalised: one lead


def test_gbk_is_refused_as_a_whole(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    admin = client_as(sessions, CallerSpec("imp-gbk", "admin"))
    job = finished(admin, upload(admin, "leads", "gbk.csv", WITH_IDS.encode("gbk"))["id"])
    assert job["status"] == "failed" and "UTF-8" in str(job["error"])
    assert admin.get(f"/imports/{job['id']}/errors.xlsx").status_code == 409
    garbage = finished(admin, upload(admin, "customers", "x.xlsx", b"not a zip")["id"])
    assert garbage["status"] == "failed" and "spreadsheet" in str(garbage["error"])


def test_progress_is_committed_batch_by_batch(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    scope = Scope("tenant-demo", Role.ADMIN, "test:progress")
    rows = "".join(f"客{i},1370000{i:04d},store-hz-xihu\n" for i in range(450))
    data = ("姓名,手机,门店\n" + rows).encode()
    with sessions.begin() as s:
        job_id = jobs.create_job(s, scope, "customers", "many.csv", data).id
    seen: list[tuple[int, int, str]] = []

    def moved(job: ImportJob) -> None:
        with sessions() as s:  # what another reader sees: committed progress
            stored = s.get_one(ImportJob, job_id)
            seen.append((stored.rows_done, stored.rows_total, stored.status))

    jobs.run_job(sessions, scope, job_id, data, Keys(TENANT_KEY, ScoreWeights()), moved)
    assert seen == [(200, 450, "running"), (400, 450, "running"), (450, 450, "running"),
                    (450, 450, "done")]  # fmt: skip


def test_the_cli_imports_with_a_progress_bar_and_writes_the_report(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'database_url = "{db_url}"\ntenant_key = "{TENANT_KEY.decode()}"\n')
    file = tmp_path / "members.csv"
    file.write_text("姓名,手机,门店\n何一,150 0000 1234,store-hz-xihu\n,150 0000 1235,\n")
    args = ["import", "customers", str(file), "--tenant", "tenant-demo", "--config", str(config)]
    result = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output  # a row failed
    assert "1 of 2 rows in (1 new), 1 failed" in result.output
    assert (tmp_path / "members.csv.errors.xlsx").is_file()
    again = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    assert "1 of 2 rows in (0 new), 1 failed" in again.output
