"""A tenant's custom fields: added, retired and listed by admins (read by every staff
role), audited. A retired field keeps its stored values but takes no new ones."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.org.errors import Duplicate
from hub.crm.org.fields import PRINTABLE
from hub.crm.org.scoping import require
from hub.crm.retirement import of_tenant, retire
from hub.db.models import CustomField

Entity = Literal["customer", "deal"]
FieldType = Literal["text", "number", "date", "choice", "multi_choice"]
# No control characters: PostgreSQL refuses a NUL in text, and nobody means one.
Label = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=PRINTABLE)
]
Choice = Label


class FieldDraft(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: Entity = "customer"
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$", examples=["farm_size"])
    label_zh_cn: Label
    label_en: Label
    type: FieldType
    choices: list[Choice] = Field(default_factory=list, max_length=100)
    required: StrictBool = False

    @model_validator(mode="after")
    def _choices_for_choice_types(self) -> "FieldDraft":
        picks = self.type in ("choice", "multi_choice")
        if picks and not self.choices:
            raise ValueError(f"a {self.type} field needs choices")
        if not picks and self.choices:
            raise ValueError(f"a {self.type} field takes no choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must be distinct")
        return self


def live_fields(session: Session, tenant_id: str, entity: str) -> list[CustomField]:
    stmt = of_tenant(CustomField, tenant_id).where(CustomField.entity == entity)
    return list(session.scalars(stmt.order_by(CustomField.created_at, CustomField.name)))


def list_fields(*, session: Session, scope: Scope, entity: Entity) -> list[CustomField]:
    require(scope.role is not Role.FIELD_ENGINEER, "your role does not read custom fields")
    return live_fields(session, scope.tenant_id, entity)


def add_field(*, session: Session, scope: Scope, draft: FieldDraft) -> CustomField:
    require(scope.role is Role.ADMIN, "only admins define custom fields")
    taken = select(CustomField.id).where(
        CustomField.tenant_id == scope.tenant_id,
        CustomField.entity == draft.entity,
        CustomField.name == draft.name,
    )
    if session.scalar(taken) is not None:
        raise Duplicate(f"custom field {draft.entity}.{draft.name} exists (retired ones too)")
    field = CustomField(
        id=f"cf-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        created_at=datetime.now(UTC),
        **draft.model_dump(),
    )
    session.add(field)
    session.flush()
    audit.record(session, scope, "create", "custom_field", field.id, after=draft.model_dump())
    return field


def retire_field(*, session: Session, scope: Scope, field_id: str) -> CustomField:
    require(scope.role is Role.ADMIN, "only admins retire custom fields")
    field, _ = retire(
        session, scope, CustomField, field_id, noun="custom_field", shown=lambda f: {"name": f.name}
    )
    return field


def apply_template(
    *, session: Session, scope: Scope, drafts: tuple[FieldDraft, ...]
) -> list[CustomField]:
    """Add the template's fields the tenant does not have yet; returns those added."""
    require(scope.role is Role.ADMIN, "only admins define custom fields")
    have = {
        (e, n)
        for e, n in session.execute(
            select(CustomField.entity, CustomField.name).where(
                CustomField.tenant_id == scope.tenant_id
            )
        )
    }
    return [
        add_field(session=session, scope=scope, draft=d)
        for d in drafts
        if (d.entity, d.name) not in have
    ]
