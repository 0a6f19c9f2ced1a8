"""Exports follow the caller's scope (in SQL) and their role's masking, and are audited with
the row count; CSV and XLSX say the same."""

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, Customer
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.hub.imports.files import finished, sheet_rows, upload, xlsx


def _csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_exports_in_scope_masked_and_audited(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = client_as(sessions, CallerSpec("exp-admin", "admin"))
    assert admin.post("/custom-fields/templates/pharmacy").status_code == 200
    rows = [["吕一", "132 0000 0001", "store-sh-jingan", "高血压, 糖尿病"],
            ["@SUM(1)", "132 0000 0002", "store-sh-xuhui", None]]  # fmt: skip
    job = finished(admin, upload(admin, "customers", "e.xlsx",
                                 xlsx(["姓名", "手机", "门店", "慢性病"], rows))["id"])  # fmt: skip
    assert (job["rows_ok"], job["created"]) == (2, 2), job
    with sessions() as s:
        at_xuhui = Customer.home_store_id == "store-sh-xuhui"
        xuhui = set(s.scalars(select(Customer.id).where(at_xuhui)))
        total = len(s.scalars(select(Customer.id)).all())

    manager = client_as(sessions, CallerSpec("exp-sm", "store_manager", store_id="store-sh-xuhui"))
    answer = manager.get("/customers/export?format=csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    theirs = _csv(answer.content)
    # the demo's customers were all served at Xuhui; Jing'an's new 吕一 is not theirs
    assert {r["id"] for r in theirs} == xuhui and "吕一" not in {r["name"] for r in theirs}
    assert {r["store"] for r in theirs} == {"store-sh-xuhui"}
    formula = next(r for r in theirs if r["phone"] == "+8613200000002")
    assert formula["name"] == "'@SUM(1)"  # not run as a formula when opened
    assert "chronic_conditions" in theirs[0]  # store managers are shown health data

    everyone = _csv(admin.get("/customers/export", params={"format": "csv"}).content)
    assert len(everyone) == total
    lv = next(r for r in everyone if r["name"] == "吕一")
    assert lv["phone"] == "+86132****0001"  # admins are shown masked phones
    assert "chronic_conditions" not in lv  # nor custom values (they may be medical)

    sheet = sheet_rows(manager.get("/customers/export?format=xlsx").content)
    assert sheet[0][:3] == ["id", "name", "phone"] and len(sheet) - 1 == len(theirs)
    assert manager.get("/customers/export?format=pdf").status_code == 422
    engineer = client_as(sessions, CallerSpec("exp-fe", "field_engineer"))
    assert engineer.get("/customers/export").status_code == 403

    leads = _csv(manager.get("/leads/export").content)
    assert leads == []  # nobody has sent a lead yet

    with sessions() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
        ).all()
    assert [(e.actor, e.entity, e.after) for e in entries] == [
        ("staff:exp-sm", "customers", {"format": "csv", "rows": len(theirs)}),
        ("staff:exp-admin", "customers", {"format": "csv", "rows": total}),
        ("staff:exp-sm", "customers", {"format": "xlsx", "rows": len(theirs)}),
        ("staff:exp-sm", "leads", {"format": "csv", "rows": 0}),
    ]
