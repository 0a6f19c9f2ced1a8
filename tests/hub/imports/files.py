"""Files for the import tests, built here: xlsx by openpyxl, CSV by hand; the error report
read back with calamine; a job waited on until it has finished."""

import io
import time
from collections.abc import Sequence

from fastapi.testclient import TestClient
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

Row = Sequence[str | int | float | None]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(header: Sequence[str], rows: Sequence[Row]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_rows(data: bytes) -> list[list[object]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return [list(r) for r in workbook.get_sheet_by_index(0).to_python()]


def report(data: bytes) -> list[tuple[int, str, str]]:
    """The error report's lines after its header, as (row, column, reason)."""
    rows = sheet_rows(data)
    assert rows[0] == ["row", "column", "reason"]
    return [(int(str(r[0]).removesuffix(".0")), str(r[1]), str(r[2])) for r in rows[1:]]


def upload(client: TestClient, kind: str, name: str, data: bytes) -> dict[str, object]:
    answer = client.post("/imports", data={"kind": kind}, files={"file": (name, data, XLSX)})
    assert answer.status_code == 202, answer.text
    job: dict[str, object] = answer.json()
    return job


def finished(client: TestClient, job_id: object, timeout: float = 60) -> dict[str, object]:
    """The job once it is done or failed (a condition polled, with a deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, object] = client.get(f"/imports/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
