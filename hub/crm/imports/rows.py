"""One file row -> a checked row, or the problems of its cells. The schemas are pydantic;
phones and e-mail addresses are made canonical by hub/crm/contacts.py (the same checks as
every other channel), custom values by the tenant's own checks (custom_fields/values.py)."""

import hashlib
import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hub.crm.contacts import AnyEmail, AnyPhone
from hub.crm.org.fields import PRINTABLE
from hub.db.models import CustomField

Text = Annotated[str, Field(min_length=1, max_length=200, pattern=PRINTABLE)]
Problem = tuple[str, str]  # (field, reason)
_SPLIT = re.compile(r"\s*[,，;；、]\s*")


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phone: AnyPhone | None = None
    email: AnyEmail | None = None
    store: Text | None = None


RowT = TypeVar("RowT", bound="_Row")


class CustomerRow(_Row):
    name: Text
    member_no: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] | None = None

    @model_validator(mode="after")
    def _a_key(self) -> "CustomerRow":
        if not (self.phone or self.email or self.member_no):
            raise ValueError("a phone, e-mail or member number is needed to find them again")
        return self


class LeadRow(_Row):
    id: Annotated[str, Field(max_length=100, pattern=PRINTABLE)] | None = None
    name: Text | None = None
    note: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _a_contact(self) -> "LeadRow":
        if not (self.phone or self.email):
            raise ValueError("a phone or e-mail is needed to reach the lead")
        return self

    def source_id(self) -> str:
        """The row's own id, or a digest of what it says once normalised: the same lead
        typed the same way twice (or re-imported) is one lead."""
        if self.id:
            return self.id
        content = "\x1f".join([self.name or "", self.phone or "", self.email or "",
                               self.store or "", self.note])  # fmt: skip
        return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:48]


def parse_row(schema: type[RowT], cells: Mapping[str, str]) -> tuple[RowT | None, list[Problem]]:
    given = {k: v for k, v in cells.items() if v != ""}
    try:
        return schema.model_validate(given), []
    except ValidationError as exc:
        return None, [_problem(e) for e in exc.errors()]


def _problem(error: Any) -> Problem:
    loc = [str(p) for p in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "required"
    return (loc[0] if loc else "", message)


def custom_value(definition: CustomField, text: str) -> object:
    """A cell as the value its field's type takes; what does not convert is handed on as
    text, for the field's own check to refuse with its reason."""
    if definition.type == "number":
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if definition.type == "multi_choice":
        return [part for part in _SPLIT.split(text) if part]
    return text
