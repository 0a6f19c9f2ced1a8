"""Custom fields per tenant (docs/crm/custom-fields.md): definitions, templates, and a
customer's values."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from hub.api.deps import CustomerIdPath, RecordIdPath, ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.crm.custom_fields import definitions
from hub.crm.custom_fields.customer_values import set_custom
from hub.crm.custom_fields.definitions import Entity, FieldDraft
from hub.crm.custom_fields.templates import TEMPLATES
from hub.db.models import CustomField
from hub.errors import NotFound

router = APIRouter(tags=["crm"], responses={503: {"model": Problem}})
ERRORS = WRITE_ERRORS  # 422: FastAPI's own shape, which Unprocessable answers too


class FieldOut(BaseModel):
    id: str
    entity: str
    name: str
    label_zh_cn: str
    label_en: str
    type: str
    choices: list[str]
    required: bool
    retired_at: datetime | None

    @classmethod
    def of(cls, f: CustomField) -> "FieldOut":
        return cls(id=f.id, entity=f.entity, name=f.name, label_zh_cn=f.label_zh_cn,
                   label_en=f.label_en, type=f.type, choices=[str(c) for c in f.choices],
                   required=f.required, retired_at=f.retired_at)  # fmt: skip


class CustomValues(BaseModel):
    values: dict[str, Any] = Field(
        description="field name -> value of its type; null removes a value",
        examples=[{"chronic_conditions": ["高血压"], "insurance": "城镇职工医保"}],
    )


@router.get("/custom-fields", response_model=list[FieldOut], responses={403: {"model": Problem}})
def list_fields(
    session: SessionDep, scope: ScopeDep, entity: Entity = "customer"
) -> list[FieldOut]:
    """The tenant's live fields of `entity`, in the order they were added."""
    return [
        FieldOut.of(f) for f in definitions.list_fields(session=session, scope=scope, entity=entity)
    ]


@router.post(
    "/custom-fields", response_model=FieldOut, status_code=status.HTTP_201_CREATED, responses=ERRORS
)
def add_field(draft: FieldDraft, session: WriteSessionDep, scope: ScopeDep) -> FieldOut:
    """Admins only; no migration: the values live in the records' `custom`."""
    return FieldOut.of(definitions.add_field(session=session, scope=scope, draft=draft))


@router.delete(
    "/custom-fields/{field_id}", response_model=FieldOut, responses={**READ_ERRORS, **ERRORS}
)
def retire_field(field_id: RecordIdPath, session: WriteSessionDep, scope: ScopeDep) -> FieldOut:
    """Admins only; stored values stay, new ones are refused."""
    return FieldOut.of(definitions.retire_field(session=session, scope=scope, field_id=field_id))


@router.post("/custom-fields/templates/{template}", response_model=list[FieldOut], responses=ERRORS)
def apply_template(template: str, session: WriteSessionDep, scope: ScopeDep) -> list[FieldOut]:
    """`pharmacy` or `distributor`: adds the template's fields the tenant lacks."""
    drafts = TEMPLATES.get(template)
    if drafts is None:
        raise NotFound(f"template {template!r}: one of {sorted(TEMPLATES)}")
    added = definitions.apply_template(session=session, scope=scope, drafts=drafts)
    return [FieldOut.of(f) for f in added]


@router.patch("/customers/{customer_id}/custom", response_model=CustomValues, responses=ERRORS)
def set_customer_custom(
    customer_id: CustomerIdPath, body: CustomValues, session: WriteSessionDep, scope: ScopeDep
) -> CustomValues:
    """Checked against the tenant's fields: 422 names every field unknown, mistyped or
    required and missing. Audited with what changed."""
    values = set_custom(session=session, scope=scope, customer_id=customer_id, changes=body.values)
    return CustomValues(values=values)
