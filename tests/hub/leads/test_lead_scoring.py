"""The lead score against answers computed by hand from the default weights
(hub/crm/leads/config.py): source wecom 30, web_form 20; checkout 8, visit 4, service 6,
halved every 14 days; phone 10, name 5, member 5, tags 5 each up to 15; behaviour up to
40; the total clamped to 0..100."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.crm.leads.config import ScoreWeights
from hub.crm.leads.scoring import ScoreInputs, Touch, decayed, score

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
W = ScoreWeights()


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def inputs(**over: object) -> ScoreInputs:
    base: dict[str, object] = {
        "source": "wecom",
        "has_phone": False,
        "has_name": False,
        "member": False,
        "tags": [],
        "touches": [],
    }
    return ScoreInputs(**{**base, **over})  # type: ignore[arg-type]


def test_decay_halves_every_half_life() -> None:
    assert decayed(8, 0, 14) == 8
    assert decayed(8, 14, 14) == 4
    assert decayed(8, 28, 14) == 2
    assert decayed(8, -3, 14) == 8  # a touch stamped in the future counts whole


def test_source_behaviour_and_attributes_add_up() -> None:
    # 30 (wecom) + 8/2 (checkout 14 days ago) + 4/4 (visit 28 days ago) + 6 (service now)
    # + 10 (phone) + 5 + 5 (two tags) = 61
    got = score(
        inputs(
            has_phone=True,
            tags=["血压计", "器械"],
            touches=[Touch("checkout", days_ago(14)), Touch("visit", days_ago(28)),
                     Touch("service", NOW), Touch("prompt_acted", NOW)],
        ),
        W,
        NOW,
    )  # fmt: skip
    assert got.total == 61
    explained = [(p.part, p.reason, round(p.points, 2)) for p in got.parts]
    assert explained == [
        ("source", "source wecom", 30),
        ("behaviour", "service 0.0 days ago", 6),
        ("behaviour", "checkout 14.0 days ago", 4),
        ("behaviour", "visit 28.0 days ago", 1),
        ("attribute", "phone known", 10),
        ("attribute", "tag 器械", 5),
        ("attribute", "tag 血压计", 5),
    ]


def test_caps_show_as_contributions_and_the_parts_still_add_up() -> None:
    # 20 (web form) + 6 checkouts today 48, capped at 40 (-8) + 10 + 5 + 5
    # + four tags 20, capped at 15 (-5) = 95
    got = score(
        inputs(
            source="web_form",
            has_phone=True,
            has_name=True,
            member=True,
            tags=["a", "b", "c", "d"],
            touches=[Touch("checkout", NOW)] * 6,
        ),
        W,
        NOW,
    )
    assert got.total == 95
    caps = [(p.reason, p.points) for p in got.parts if "capped" in p.reason]
    assert caps == [("behaviour capped at 40", -8), ("attribute capped at 15", -5)]
    assert sum(p.points for p in got.parts) == 95


def test_the_total_is_clamped_to_100_and_an_unknown_source_gets_the_default() -> None:
    heavy = ScoreWeights(source={"wecom": 90})
    assert score(inputs(has_phone=True, has_name=True), heavy, NOW).total == 100  # 105
    assert score(inputs(source="fax"), W, NOW).total == 10  # other_source


@pytest.mark.parametrize(("half_life", "expected"), [(7, 32), (28, 35.66)])
def test_the_half_life_is_configuration(half_life: float, expected: float) -> None:
    # 30 + checkout 14 days ago: 8 * 0.5**(14/7) = 2 -> 32; 8 * 0.5**(14/28) = 5.657 -> 35.66
    weights = ScoreWeights(half_life_days=half_life)
    got = score(inputs(touches=[Touch("checkout", days_ago(14))]), weights, NOW)
    assert round(sum(p.points for p in got.parts), 2) == expected
    assert got.total == round(expected)
