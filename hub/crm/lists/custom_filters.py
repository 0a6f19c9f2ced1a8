"""Custom-field filters of the customer list: `name:value`, checked against the tenant's
live fields and turned into what `customers.custom` must contain (jsonb `@>`, served by
the GIN index `ix_customers_custom`):
- text, date, choice: the value equals it (a choice must be one of the field's choices,
  a date YYYY-MM-DD);
- number: the value equals it as a number (`12` finds 12 and 12.0);
- multi_choice: the value is among the chosen ones.
Several filters all apply; two on one field must both hold (which a single-value field
never does, so they name it a problem instead)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from hub.crm.custom_fields.definitions import live_fields
from hub.db.models import CustomField
from hub.errors import Unprocessable

LOCATION = ["query", "custom"]


def parse(session: Session, tenant_id: str, raw: Sequence[str]) -> dict[str, Any]:
    """name -> the jsonb fragment; Unprocessable naming every bad filter."""
    fields = {f.name: f for f in live_fields(session, tenant_id, "customer")}
    wanted: dict[str, Any] = {}
    problems: list[tuple[list[str], str]] = []
    for item in raw:
        name, sep, text = item.partition(":")
        definition = fields.get(name)
        if not sep or definition is None:
            problems.append((LOCATION, f"{item!r}: not name:value of a custom field"))
        elif name in wanted:
            problems.append((LOCATION, f"{name}: filtered twice"))
        elif (value := _value(definition, text)) is None:
            problems.append((LOCATION, f"{name}: {text!r} is not a value of this field"))
        else:
            wanted[name] = value
    if problems:
        raise Unprocessable(*problems)
    return wanted


def _value(definition: CustomField, text: str) -> Any:
    choices = [str(c) for c in definition.choices]
    if definition.type == "number":
        return _number(text)
    if definition.type == "date":
        return text if _is_date(text) else None
    if definition.type == "choice":
        return text if text in choices else None
    if definition.type == "multi_choice":
        return [text] if text in choices else None
    return text


def _number(text: str) -> int | float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return int(number) if number.is_integer() else number


def _is_date(text: str) -> bool:
    try:
        return len(text) == 10 and date.fromisoformat(text) is not None
    except ValueError:
        return False
