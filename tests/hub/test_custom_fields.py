"""Custom fields per tenant: typed, checked on every write (each problem named), audited,
shipped as two templates, added without a migration."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.custom_fields.values import checked
from hub.db.models import AuditEntry, Customer
from hub.demo.seed import SeedResult
from hub.errors import Unprocessable
from tests.hub.callers import CallerSpec, client_as


class Def:
    def __init__(self, name: str, type_: str, choices: list[Any] = [], required: bool = False):  # noqa: B006
        self.name, self.type, self.choices, self.required = name, type_, choices, required


FIELDS = [
    Def("size", "number"),
    Def("since", "date"),
    Def("terms", "choice", ["现结", "月结"]),
    Def("breed", "multi_choice", ["生猪", "肉牛"]),
    Def("note", "text", required=True),
]


def test_values_of_each_type_and_every_problem_named() -> None:
    good = {"size": 1200, "since": "2024-02-29", "terms": "月结", "breed": ["生猪"], "note": "x"}
    assert checked(FIELDS, {}, good) == good
    with pytest.raises(Unprocessable) as refused:
        checked(
            FIELDS,
            {},
            {"size": "1200", "since": "2023-02-29", "terms": "赊账", "breed": ["生猪", "生猪"],
             "colour": "red", "flag": True},
        )  # fmt: skip
    said = str(refused.value)
    for part in (
        "values.size: must be a number",
        "values.since: must be a date",  # 2023 had no 29 February
        "values.terms: must be one of",
        "values.breed: must be a list of distinct values",
        "values.colour: no such field",
        "values.note: required",
    ):
        assert part in said
    assert checked(FIELDS, {"note": "x", "size": 3}, {"size": None}) == {"note": "x"}
    with pytest.raises(Unprocessable, match=r"values\.size: must be a number"):
        checked(FIELDS, {"note": "x"}, {"size": True})  # a JSON true is not a number


@pytest.fixture
def admin(sessions: sessionmaker[Session], seeded: SeedResult) -> TestClient:
    return client_as(sessions, CallerSpec("cf-admin", "admin"))


def test_templates_add_their_fields_once_and_values_are_checked_and_audited(
    sessions: sessionmaker[Session], admin: TestClient
) -> None:
    with sessions() as session:
        tables_before = session.scalar(text("SELECT count(*) FROM pg_tables"))
    added = admin.post("/custom-fields/templates/pharmacy")
    assert [f["name"] for f in added.json()] == ["chronic_conditions", "insurance"]
    assert admin.post("/custom-fields/templates/pharmacy").json() == []
    assert admin.post("/custom-fields/templates/bakery").status_code == 404
    distributor = admin.post("/custom-fields/templates/distributor").json()
    assert {f["name"] for f in distributor} == {
        "farm_size", "breed", "medication_history", "payment_terms", "decision_maker"
    }  # fmt: skip
    with sessions() as session:  # no migration: rows, not columns
        assert session.scalar(text("SELECT count(*) FROM pg_tables")) == tables_before

    url = "/customers/cus-demo-01/custom"
    values = {"chronic_conditions": ["高血压", "糖尿病"], "insurance": "城镇职工医保"}
    made = admin.patch(url, json={"values": values})
    assert made.status_code == 200 and made.json()["values"] == values
    bad = admin.patch(url, json={"values": {"farm_size": "large", "insurance": "现金"}})
    assert bad.status_code == 422
    assert sorted(tuple(d["loc"]) for d in bad.json()["detail"]) == [
        ("body", "values", "farm_size"),
        ("body", "values", "insurance"),
    ]
    with sessions() as session:
        assert session.get_one(Customer, "cus-demo-01").custom == values  # nothing changed
        [entry] = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "customer", AuditEntry.entity_id == "cus-demo-01"
            )
        ).all()
    assert entry.after == {"custom": values}


def test_a_retired_field_takes_no_new_values_and_roles_are_kept_apart(
    sessions: sessionmaker[Session], admin: TestClient
) -> None:
    made = admin.post(
        "/custom-fields",
        json={"name": "pet_name", "label_zh_cn": "宠物名", "label_en": "Pet", "type": "text"},
    ).json()
    again = {"name": "pet_name", "label_zh_cn": "a", "label_en": "a", "type": "text"}
    assert admin.post("/custom-fields", json=again).status_code == 409
    no_choices = {"name": "kind", "label_zh_cn": "类", "label_en": "Kind", "type": "choice"}
    assert admin.post("/custom-fields", json=no_choices).status_code == 422
    clerk = client_as(sessions, CallerSpec("cf-clerk", "staff", store_id="store-sh-xuhui"))
    mine, theirs = "/customers/cus-demo-01/custom", "/customers/cus-demo-11/custom"
    assert clerk.patch(mine, json={"values": {"pet_name": "旺财"}}).status_code == 200
    assert clerk.post("/custom-fields/templates/pharmacy").status_code == 403
    assert clerk.patch(theirs, json={"values": {"pet_name": "x"}}).status_code == 404
    assert [f["name"] for f in clerk.get("/custom-fields").json()] == ["pet_name"]
    assert admin.delete(f"/custom-fields/{made['id']}").status_code == 200
    retired = clerk.patch(mine, json={"values": {"pet_name": "来福"}})
    assert retired.status_code == 422 and "no such field" in retired.text
    engineer = client_as(sessions, CallerSpec("cf-fe", "field_engineer", region_id="region-sh"))
    assert engineer.get("/custom-fields").status_code == 403
