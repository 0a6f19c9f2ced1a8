"""The lead score, 0..100: points for the source, for the customer's behaviour (each
touchpoint's points halve every half-life) and for what is known of them; a pure function
of its inputs and the weights, with every contribution listed so the number explains
itself. A cap shows up as a contribution of its own, so the parts always add up."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.crm.leads.config import ScoreWeights

SOURCE, BEHAVIOUR, ATTRIBUTE = "source", "behaviour", "attribute"
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Touch:
    kind: str  # a touchpoint kind: visit, checkout, service, lead, ...
    at: datetime


@dataclass(frozen=True)
class ScoreInputs:
    source: str
    has_phone: bool
    has_name: bool
    member: bool
    tags: Sequence[str]
    touches: Sequence[Touch]


@dataclass(frozen=True)
class Contribution:
    part: str  # SOURCE, BEHAVIOUR or ATTRIBUTE
    reason: str
    points: float

    def as_json(self) -> dict[str, object]:
        return {"part": self.part, "reason": self.reason, "points": round(self.points, 2)}


@dataclass(frozen=True)
class Score:
    total: int
    parts: tuple[Contribution, ...]


def decayed(points: float, age_days: float, half_life_days: float) -> float:
    """`points` halved once per half-life of age; a touch from the future counts whole."""
    factor: float = 0.5 ** (max(age_days, 0.0) / half_life_days)
    return points * factor


def score(inputs: ScoreInputs, weights: ScoreWeights, now: datetime) -> Score:
    parts = [_source(inputs.source, weights)]
    parts += _capped(_behaviour(inputs.touches, weights, now), weights.behaviour_cap, BEHAVIOUR)
    parts += _attributes(inputs, weights)
    total = sum(p.points for p in parts)
    return Score(total=max(0, min(100, round(total))), parts=tuple(parts))


def _source(source: str, weights: ScoreWeights) -> Contribution:
    points = weights.source.get(source, weights.other_source)
    return Contribution(SOURCE, f"source {source}", points)


def _behaviour(
    touches: Sequence[Touch], weights: ScoreWeights, now: datetime
) -> list[Contribution]:
    found = []
    for touch in sorted(touches, key=lambda t: t.at, reverse=True):
        base = weights.behaviour.get(touch.kind)
        if not base:
            continue
        age = (now - touch.at).total_seconds() / SECONDS_PER_DAY
        points = decayed(base, age, weights.half_life_days)
        found.append(Contribution(BEHAVIOUR, f"{touch.kind} {age:.1f} days ago", points))
    return found


def _attributes(inputs: ScoreInputs, weights: ScoreWeights) -> list[Contribution]:
    found = []
    if inputs.has_phone:
        found.append(Contribution(ATTRIBUTE, "phone known", weights.has_phone))
    if inputs.has_name:
        found.append(Contribution(ATTRIBUTE, "name known", weights.has_name))
    if inputs.member:
        found.append(Contribution(ATTRIBUTE, "enrolled member", weights.member))
    tags = [Contribution(ATTRIBUTE, f"tag {t}", weights.per_tag) for t in sorted(inputs.tags)]
    return found + _capped(tags, weights.tags_cap, ATTRIBUTE)


def _capped(parts: list[Contribution], cap: float, part: str) -> list[Contribution]:
    over = sum(p.points for p in parts) - cap
    if over <= 0:
        return parts
    return [*parts, Contribution(part, f"{part} capped at {cap:g}", -over)]
