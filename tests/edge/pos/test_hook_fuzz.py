"""Hostile POS hook bodies, generated: every one is answered 202 or 422 (never a 5xx),
every 422 is dead-lettered with a reason, and a good checkout right after still goes
through."""

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.edge.pos.test_hook import CHECKOUT, TOKEN, Gateway, gateway  # noqa: F401
from wire.redaction import redact_payload

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["receipt_no", "total", "member", "staff_id", "items", "currency", "terminal"]


@st.composite
def mutated_checkout(draw: st.DrawFn) -> bytes:
    """A good checkout with a few fields dropped or replaced by arbitrary JSON."""
    body: dict[str, Any] = json.loads(json.dumps(CHECKOUT))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            body.pop(name, None)
        else:
            body[name] = draw(JSON_VALUES)
    return json.dumps(body).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    mutated_checkout(),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES)
def test_hostile_bodies_get_a_4xx_with_a_reason_and_good_input_still_passes(
    gateway: Gateway,  # noqa: F811
    body: bytes,
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    before = len(gateway.rejected), len(gateway.submitted)
    response = httpx.post(f"{gateway.url}/pos/checkout", content=body, headers=headers, timeout=5)
    assert response.status_code in (202, 422), response.text
    if response.status_code == 422:
        assert response.json()["detail"], "a clear reason"
        assert len(gateway.rejected) == before[0] + 1, "dead-lettered"
        reason, raw = gateway.rejected[-1]
        assert reason and raw == redact_payload(body, every_identifier=True)
    else:
        assert len(gateway.submitted) == before[1] + 1
    good = dict(CHECKOUT, receipt_no=f"R-after-{before[1]}")
    after = httpx.post(f"{gateway.url}/pos/checkout", json=good, headers=headers, timeout=5)
    assert after.status_code == 202
