"""Customers from an xlsx with duplicates, messy phones and bad rows, imported twice: the
good rows go in once, the bad ones are named (row, column, reason) in the error report,
and the second run makes nothing new."""

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry, Customer, Identity
from hub.demo.seed import SeedResult
from tests.hub.callers import CallerSpec, client_as
from tests.hub.imports.files import finished, report, upload, xlsx

HEADER = ["姓名", "手机", "邮箱", "会员号", "门店", "医保类型", "备注色"]
ROWS = [
    ["王小明", "138 0013 8000", None, None, "store-sh-xuhui", "城镇职工医保", "red"],  # 2: new
    ["王小明", "+86 138-0013-8000", None, None, "store-sh-xuhui", None, None],  # 3: same one
    ["王小明", 13800138000, None, None, "store-sh-xuhui", None, None],  # 4: a number cell
    [
        "李华",
        "0086 139 1234 5678",
        "LiHua@Example.COM",
        None,
        "徐汇天钥桥店 Xuhui Tianyaoqiao",
        None,
        None,
    ],
    [None, "137 0000 9999", None, None, "store-sh-xuhui", None, None],  # 6: no name
    ["赵六", "136 1111 2222", "not-an-email", None, "store-sh-xuhui", None, None],  # 7
    ["钱七", "135 2222 3333", None, None, "store-nowhere", None, None],  # 8: unknown store
    ["孙八", "133 3333 4444", None, None, "store-sh-jingan", "金卡医保", None],  # 9: no such choice
    ["周九", None, None, "M9001", "store-hz-xihu", None, None],  # 10: new, member number only
    ["张伟", "137-0000-1111", None, "M1002", None, None, None],  # 11: the demo's cus-demo-03
]


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as s:
        customers = s.scalar(select(func.count()).select_from(Customer)) or 0
        return customers, s.scalar(select(func.count()).select_from(Identity)) or 0


def test_a_duplicate_heavy_file_with_bad_rows_twice(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = client_as(sessions, CallerSpec("imp-admin", "admin"))
    assert admin.post("/custom-fields/templates/pharmacy").status_code == 200
    data = xlsx(HEADER, ROWS)
    customers_before, identities_before = _counts(sessions)

    first = finished(admin, upload(admin, "customers", "members.xlsx", data)["id"])
    assert first["status"] == "done", first
    assert (first["rows_total"], first["rows_done"], first["rows_ok"], first["rows_failed"]) == (
        10, 10, 6, 4,
    )  # fmt: skip
    assert first["created"] == 3  # 王小明 (rows 2-4), 李华, 周九
    # new identities: 王小明's phone; 李华's phone and e-mail; 周九's member number
    assert _counts(sessions) == (customers_before + 3, identities_before + 4)

    errors = admin.get(f"/imports/{first['id']}/errors.xlsx")
    assert errors.status_code == 200
    lines = report(errors.content)
    assert [(row, column) for row, column, _why in lines] == [
        (1, "备注色"), (6, "姓名"), (7, "邮箱"), (8, "门店"), (9, "医保类型"),
    ]  # fmt: skip
    reasons = {row: why for row, _c, why in lines}
    assert reasons[1] == "not a column this import knows; ignored"
    assert reasons[6] == "required"
    assert reasons[7].startswith("not an e-mail address")
    assert reasons[8] == "no such store"
    assert reasons[9].startswith("must be one of") and "城镇职工医保" in reasons[9]

    with sessions() as s:
        wang = s.scalars(select(Customer).where(Customer.phone == "+8613800138000")).one()
        assert (wang.name, wang.status) == ("王小明", "member")
        assert wang.home_store_id == "store-sh-xuhui"
        assert wang.custom == {"insurance": "城镇职工医保"}  # row 3's empty cell clears nothing
        li = s.scalars(select(Customer).where(Customer.phone == "+8613912345678")).one()
        assert li.home_store_id == "store-sh-xuhui"
        zhang = s.get_one(Customer, "cus-demo-03")
        assert zhang.name == "张伟" and zhang.home_store_id == "store-sh-xuhui"

    second = finished(admin, upload(admin, "customers", "members.xlsx", data)["id"])
    assert (second["rows_ok"], second["rows_failed"], second["created"]) == (6, 4, 0)
    assert second["digest"] == first["digest"]
    assert _counts(sessions) == (customers_before + 3, identities_before + 4)
    assert len(report(admin.get(f"/imports/{second['id']}/errors.xlsx").content)) == 5

    with sessions() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == "import_job", AuditEntry.entity_id == first["id"])
            .order_by(AuditEntry.id)
        ).all()
    assert [e.actor for e in entries] == ["staff:imp-admin", "staff:imp-admin"]
    assert entries[0].after is not None and entries[0].after["file_name"] == "members.xlsx"
    assert entries[1].after == {
        "done": {"rows_total": 10, "rows_ok": 6, "rows_failed": 4, "created_count": 3}
    }


def test_one_person_typed_three_ways_is_one_customer(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = client_as(sessions, CallerSpec("imp-admin3", "admin"))
    rows = [["陈一", "186-0000-7777", None], ["陈一", "+86 186 0000 7777", None],
            ["陈一", "(0086)18600007777", "chen@example.com"]]  # fmt: skip
    job = finished(
        admin,
        upload(admin, "customers", "three.xlsx", xlsx(["name", "phone", "email"], rows))["id"],
    )
    assert (job["rows_ok"], job["created"]) == (3, 1), job
    with sessions() as s:
        found = s.scalars(select(Customer).where(Customer.phone == "+8618600007777")).all()
        assert len(found) == 1
        kinds = sorted(i.kind for i in found[0].identities)
    assert kinds == ["email", "phone_hash"]


def test_a_store_manager_imports_into_their_store_only(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    admin = client_as(sessions, CallerSpec("imp-admin2", "admin"))
    theirs = xlsx(["name", "phone", "store"], [["吴其", "135 5555 6666", "store-sh-jingan"]])
    assert finished(admin, upload(admin, "customers", "j.xlsx", theirs)["id"])["created"] == 1

    manager: TestClient = client_as(
        sessions, CallerSpec("imp-sm", "store_manager", store_id="store-sh-xuhui")
    )
    rows = [
        ["郑一", "131 0000 0001", "store-sh-xuhui"],  # 2: theirs
        ["郑二", "131 0000 0002", "store-sh-jingan"],  # 3: another store
        ["郑三", "131 0000 0003", None],  # 4: no store
        ["吴其", "135-5555-6666", "store-sh-xuhui"],  # 5: Jing'an's customer
    ]
    job = finished(manager, upload(manager, "customers", "x.xlsx",
                                   xlsx(["name", "phone", "store"], rows))["id"])  # fmt: skip
    assert (job["status"], job["rows_ok"], job["rows_failed"], job["created"]) == (
        "done", 1, 3, 1,
    )  # fmt: skip
    lines = report(manager.get(f"/imports/{job['id']}/errors.xlsx").content)
    assert lines == [
        (3, "store", "a store outside yours"),
        (4, "store", "required: your role imports only into its stores"),
        (5, "phone", "already a customer outside your stores; not changed"),
    ]
    with sessions() as s:
        wu = s.scalars(select(Customer).where(Customer.phone == "+8613555556666")).one()
        assert wu.home_store_id == "store-sh-jingan"  # untouched
    # another caller's job is not theirs to read; staff do not import
    assert admin.get(f"/imports/{job['id']}").status_code == 200
    assert manager.get(f"/imports/{first_job_of(admin)}").status_code == 404
    clerk = client_as(sessions, CallerSpec("imp-st", "staff", store_id="store-sh-xuhui"))
    refused = clerk.post("/imports", data={"kind": "customers"},
                         files={"file": ("x.xlsx", b"", "text/csv")})  # fmt: skip
    assert refused.status_code == 403


def first_job_of(client: TestClient) -> str:
    job = upload(client, "customers", "empty.csv", b"name,phone\n")
    return str(finished(client, job["id"])["id"])
