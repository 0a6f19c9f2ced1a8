"""Checking custom values against the tenant's definitions: each value of its type, each
required field present, no field the tenant has not defined. Every problem is named in one
error, field by field, so a form can mark them all at once."""

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from hub.errors import Unprocessable

TEXT_CHARS = 1000
FIELD_TYPES = ("text", "number", "date", "choice", "multi_choice")


class Definition(Protocol):
    name: str
    type: str
    choices: list[Any]
    required: bool


def _problem(definition: Definition, value: object) -> str | None:
    kind, choices = definition.type, [str(c) for c in definition.choices]
    if kind == "text":
        ok = isinstance(value, str) and len(value) <= TEXT_CHARS and "\x00" not in value
        return None if ok else f"text of at most {TEXT_CHARS} characters, without NUL"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "a number"
    if kind == "date":
        return None if _is_date(value) else "a date, YYYY-MM-DD"
    if kind == "choice":
        return None if value in choices else f"one of {choices}"
    if kind == "multi_choice":
        ok = isinstance(value, list) and all(v in choices for v in value)
        ok = ok and isinstance(value, list) and len(set(map(str, value))) == len(value)
        return None if ok else f"a list of distinct values among {choices}"
    return f"of an unknown type {kind}"


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def checked(
    definitions: Sequence[Definition],
    current: Mapping[str, Any],
    changes: Mapping[str, Any],
) -> dict[str, Any]:
    """`current` with `changes` applied (a null removes a value), or Unprocessable naming
    every field that is unknown, of the wrong type, or required and missing."""
    by_name = {d.name: d for d in definitions}
    problems = [(n, "no such field") for n in sorted(changes) if n not in by_name]
    merged = {k: v for k, v in current.items() if k in by_name}
    for name, value in changes.items():
        if name not in by_name:
            continue
        if value is None:
            merged.pop(name, None)
        elif (why := _problem(by_name[name], value)) is not None:
            problems.append((name, f"must be {why}"))
        else:
            merged[name] = value
    problems += [(d.name, "required") for d in definitions if d.required and d.name not in merged]
    if problems:
        raise Unprocessable(*((["body", "values", name], why) for name, why in problems))
    return merged
