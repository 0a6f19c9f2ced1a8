"""Who may create and change regions, stores and staff (docs/security.md, "Organisation"),
and what the organisation refuses: taken codes, inconsistent places, bad fields."""

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Role, Scope
from hub.crm.org import regions, staff, stores
from hub.crm.org.errors import Duplicate, Forbidden, Inconsistent
from hub.crm.org.inputs import (
    RegionChanges,
    RegionDraft,
    StaffChanges,
    StaffDraft,
    StoreChanges,
    StoreDraft,
)
from hub.db.models import Staff, Store
from hub.demo.seed import SeedResult
from hub.errors import NotFound
from tests.hub.org_scopes import ADMIN, ENGINEER, RM_SH, SM_XUHUI, STAFF_XUHUI

Write = Callable[[Session], Any]


def _store(id: str, region: str = "region-sh") -> StoreDraft:
    return StoreDraft(id=id, region_id=region, name="新店 New store")


def _person(code: str, role: str = "staff", store: str | None = "store-sh-xuhui") -> StaffDraft:
    return StaffDraft.model_validate(
        {"code": code, "name": "新员工", "role": role, "home_store_id": store}
    )


def _run(sessions: sessionmaker[Session], write: Write) -> Any:
    with sessions.begin() as s:
        return write(s)


@pytest.mark.parametrize(
    ("scope", "write", "refusal"),
    [
        (RM_SH, lambda s: regions.create_region(session=s, scope=RM_SH,
            draft=RegionDraft(id="region-bj", name="北京区")), Forbidden),
        (RM_SH, lambda s: regions.update_region(session=s, scope=RM_SH, region_id="region-sh",
            changes=RegionChanges(name="x")), Forbidden),
        (RM_SH, lambda s: stores.create_store(session=s, scope=RM_SH,
            draft=_store("store-hz-new", "region-hz")), NotFound),
        (SM_XUHUI, lambda s: stores.create_store(session=s, scope=SM_XUHUI,
            draft=_store("store-sh-new")), Forbidden),
        (SM_XUHUI, lambda s: stores.update_store(session=s, scope=SM_XUHUI,
            store_id="store-sh-xuhui", changes=StoreChanges(region_id="region-hz")), Forbidden),
        (SM_XUHUI, lambda s: stores.update_store(session=s, scope=SM_XUHUI,
            store_id="store-sh-jingan", changes=StoreChanges(name="x")), NotFound),
        (STAFF_XUHUI, lambda s: stores.update_store(session=s, scope=STAFF_XUHUI,
            store_id="store-sh-xuhui", changes=StoreChanges(name="x")), Forbidden),
        (RM_SH, lambda s: staff.create_staff(session=s, scope=RM_SH,
            draft=_person("N1", "admin", None)), Forbidden),
        (RM_SH, lambda s: staff.create_staff(session=s, scope=RM_SH,
            draft=_person("N2", "staff", "store-hz-xihu")), NotFound),
        (RM_SH, lambda s: staff.create_staff(session=s, scope=RM_SH,
            draft=_person("N3", "staff", None)), Forbidden),  # would be outside their scope
        (SM_XUHUI, lambda s: staff.create_staff(session=s, scope=SM_XUHUI,
            draft=_person("N4", "store_manager")), Forbidden),
        (SM_XUHUI, lambda s: staff.update_staff(session=s, scope=SM_XUHUI,
            staff_id="stf-demo-xuhui-1", changes=StaffChanges(role=Role.STORE_MANAGER)),
            Forbidden),
        (STAFF_XUHUI, lambda s: staff.leave(session=s, scope=STAFF_XUHUI,
            staff_id="stf-demo-sm-xuhui"), Forbidden),
        (STAFF_XUHUI, lambda s: staff.set_shift(session=s, scope=STAFF_XUHUI,
            staff_id="stf-demo-sm-xuhui", on_shift=False), Forbidden),
        (ENGINEER, lambda s: staff.create_staff(session=s, scope=ENGINEER,
            draft=_person("N5")), Forbidden),
        (ADMIN, lambda s: staff.create_staff(session=s, scope=ADMIN,
            draft=_person("S07")), Duplicate),
        (ADMIN, lambda s: staff.update_staff(session=s, scope=ADMIN,
            staff_id="stf-demo-xuhui-1", changes=StaffChanges(code="S01")), Duplicate),
        (ADMIN, lambda s: stores.create_store(session=s, scope=ADMIN,
            draft=_store("store-sh-xuhui")), Duplicate),
        (ADMIN, lambda s: regions.create_region(session=s, scope=ADMIN,
            draft=RegionDraft(id="region-sh", name="again")), Duplicate),
        (ADMIN, lambda s: staff.create_staff(session=s, scope=ADMIN,
            draft=StaffDraft.model_validate({"code": "N6", "name": "x", "role": "staff",
            "home_store_id": "store-sh-xuhui", "region_id": "region-hz"})), Inconsistent),
    ],
)  # fmt: skip
def test_refused_writes_change_nothing(
    sessions: sessionmaker[Session],
    seeded: SeedResult,
    scope: Scope,
    write: Write,
    refusal: type[Exception],
) -> None:
    with sessions() as s:
        before = [sorted(map(repr, s.execute(select(m.__table__)))) for m in (Store, Staff)]
    with pytest.raises(refusal):
        _run(sessions, write)
    with sessions() as s:
        after = [sorted(map(repr, s.execute(select(m.__table__)))) for m in (Store, Staff)]
    assert after == before


def test_managers_write_within_their_scope(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    new = _run(sessions, lambda s: stores.create_store(session=s, scope=RM_SH,
               draft=_store("store-sh-pudong")))  # fmt: skip
    assert (new.id, new.tenant_id, new.region_id) == ("store-sh-pudong", "tenant-demo", "region-sh")
    hours = {"mon": [["10:00", "20:00"]]}
    changed = _run(sessions, lambda s: stores.update_store(session=s, scope=SM_XUHUI,
                   store_id="store-sh-xuhui",
                   changes=StoreChanges.model_validate({"opening_hours": hours})))  # fmt: skip
    assert changed.opening_hours == hours and changed.name.startswith("徐汇")
    moved = _run(sessions, lambda s: stores.update_store(session=s, scope=ENGINEER,
                 store_id="store-hz-xihu", changes=StoreChanges.model_validate(
                     {"address": "杭州市西湖区文三路260号", "coordinates": None})))  # fmt: skip
    assert (moved.address, moved.latitude, moved.longitude) == (
        "杭州市西湖区文三路260号",
        None,
        None,
    )
    hired = _run(sessions, lambda s: staff.create_staff(session=s, scope=SM_XUHUI,
                 draft=_person("S08")))  # fmt: skip
    assert hired.staff.region_id == "region-sh"  # from the home store
    assert hired.staff.id.startswith("stf-") and hired.staff.status == "active"


def test_leaving_keeps_the_record(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    gone = _run(sessions, lambda s: staff.leave(session=s, scope=SM_XUHUI,
                staff_id="stf-demo-xuhui-1"))  # fmt: skip
    assert (gone.staff.status, gone.staff.on_shift) == ("left", False)
    left_at = gone.staff.left_at
    assert left_at is not None
    again = _run(sessions, lambda s: staff.leave(session=s, scope=ADMIN,
                 staff_id="stf-demo-xuhui-1"))  # fmt: skip
    assert again.staff.left_at == left_at  # leaving twice changes nothing
    with sessions() as s:
        leavers = staff.list_staff(session=s, scope=ADMIN, where=staff.StaffFilter(status="left"))
    assert [r.staff.id for r in leavers.rows] == ["stf-demo-xuhui-1"]
    with pytest.raises(Inconsistent, match="has left"):
        _run(sessions, lambda s: staff.set_shift(session=s, scope=ADMIN,
             staff_id="stf-demo-xuhui-1", on_shift=True))  # fmt: skip


def test_staff_go_on_and_off_shift_themselves(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    off = _run(sessions, lambda s: staff.set_shift(session=s, scope=STAFF_XUHUI,
               staff_id="stf-demo-xuhui-1", on_shift=False))  # fmt: skip
    assert off.staff.on_shift is False
    on = _run(sessions, lambda s: staff.set_shift(session=s, scope=SM_XUHUI,
              staff_id="stf-demo-xuhui-1", on_shift=True))  # fmt: skip
    assert on.staff.on_shift is True


def test_moving_staff_to_another_store_moves_their_region(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    moved = _run(sessions, lambda s: staff.update_staff(session=s, scope=ADMIN,
                 staff_id="stf-demo-xuhui-1",
                 changes=StaffChanges(home_store_id="store-hz-xihu")))  # fmt: skip
    assert (moved.staff.home_store_id, moved.staff.region_id) == ("store-hz-xihu", "region-hz")
    with sessions() as s, pytest.raises(NotFound):  # out of the Shanghai manager's reach now
        staff.get_staff(session=s, scope=RM_SH, staff_id="stf-demo-xuhui-1")
    unhomed = _run(sessions, lambda s: staff.update_staff(session=s, scope=ADMIN,
                   staff_id="stf-demo-xuhui-1",
                   changes=StaffChanges(home_store_id=None)))  # fmt: skip
    assert (unhomed.staff.home_store_id, unhomed.staff.region_id) == (None, "region-hz")


@pytest.mark.parametrize(
    "fields",
    [
        {"phone": "+8612345"},  # not a valid number
        {"phone": "13812345678"},  # not E.164
        {"email": "not-an-address"},
        {"skills": ["Diabetes Care"]},
        {"role": "owner"},
        {"code": "has space"},
        {"name": None},
        {"unknown": 1},
    ],
)
def test_bad_staff_fields_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        StaffChanges.model_validate(fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "localtime"},
        {"coordinates": {"latitude": 91, "longitude": 0}},
        {"coordinates": {"latitude": 31.2}},  # coordinates come in pairs
        {"status": "gone"},
        {"region_id": "Region SH"},
    ],
)
def test_bad_store_fields_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        StoreChanges.model_validate(fields)


def test_fields_are_normalised() -> None:
    person = StaffChanges.model_validate(
        {"skills": ["tcm", "pharmacist", "tcm"], "email": "Li.Na@Example.COM"}
    )
    assert person.skills == ["pharmacist", "tcm"]
    assert person.email == "Li.Na@example.com"  # the domain part is case-insensitive
    assert set(person.given()) == {"skills", "email"}
