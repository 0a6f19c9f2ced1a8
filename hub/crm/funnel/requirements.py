"""What a deal lacks to enter a stage: pure functions over the deal, its customer's and
its own custom values, and the stages. Entering an open or won stage needs what that stage
requires and what every open stage before it requires (a deal that skips ahead still has
to have what it skipped); entering a lost stage needs only what it requires itself."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from hub.db.models import LOST, OPEN


class Stage(Protocol):
    key: str
    kind: str
    position: int
    required: list[Any]


@dataclass(frozen=True)
class DealFacts:
    amount_cents: int | None
    owner_staff_id: str | None
    expected_close_on: date | None
    title: str
    custom: Mapping[str, Any]
    customer_custom: Mapping[str, Any]


def needed(target: Stage, stages: Sequence[Stage]) -> list[str]:
    """Every requirement of entering `target`, in stage order, each once."""
    if target.kind == LOST:
        return list(dict.fromkeys(str(r) for r in target.required))
    before = [s for s in stages if s.kind == OPEN and s.position < target.position]
    return list(dict.fromkeys(str(r) for s in [*before, target] for r in s.required))


def missing(
    target: Stage, stages: Sequence[Stage], facts: DealFacts
) -> list[tuple[list[str], str]]:
    """(location, message) of each requirement `facts` does not meet, for Unprocessable."""
    return [
        (_location(need), f"{problem} to enter {target.key}")
        for need in needed(target, stages)
        if (problem := _unmet(need, facts)) is not None
    ]


def _unmet(need: str, facts: DealFacts) -> str | None:
    """None when met, else what is wrong."""
    absent = "required"
    if need == "amount":
        if facts.amount_cents is None:
            return absent
        return "must be more than 0" if facts.amount_cents <= 0 else None
    if need == "owner_staff_id":
        return absent if facts.owner_staff_id is None else None
    if need == "expected_close_on":
        return absent if facts.expected_close_on is None else None
    if need == "title":
        return absent if not facts.title.strip() else None
    entity, _, name = need.partition(".")
    values = facts.custom if entity == "deal" else facts.customer_custom
    return absent if values.get(name) in (None, "", []) else None


def _location(need: str) -> list[str]:
    entity, dot, name = need.partition(".")
    if not dot:
        return ["deal", need]
    return ["deal", "custom", name] if entity == "deal" else ["customer", "custom", name]
