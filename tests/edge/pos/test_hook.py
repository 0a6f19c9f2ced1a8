"""The POS HTTP hook, served by a real uvicorn on a loopback port and called with httpx."""

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError

from edge.errors import OutboxFull
from edge.pos.hook import MAX_BODY_BYTES, PosHookConfig, build_pos_hook_router
from edge.readers.base import Observation
from tests.support.net import free_port, wait_for_port
from wire.events import PosCheckout, PosServiceLogged
from wire.identity import IdentifierKind, keyed_hash

KEY = b"tenant-key-for-tests-0123456789ab"
TOKEN = "pos-hook-token-5f1c9a7e2b4d8"
CHECKOUT: dict[str, Any] = {
    "receipt_no": "R123",
    "total": 1280,
    "member": {"kind": "card_uid", "value": "04a1b2c3"},
    "staff_id": "S7",
    "items": [
        {"sku": "SKU1", "qty": 2, "unit_price": 500, "name": "Amoxicillin"},
        {"sku": "SKU2", "qty": 1, "unit_price": 280},
    ],
}


@dataclass
class Gateway:
    """What the hook talks to: an outbox (`submit`) and a dead-letter sink (`on_reject`)."""

    url: str
    submitted: list[Observation] = field(default_factory=list)
    rejected: list[tuple[str, bytes]] = field(default_factory=list)
    full: bool = False
    delay_s: float = 0.0

    async def submit(self, observation: Observation) -> None:
        if self.full:
            raise OutboxFull("outbox at its byte budget")
        await asyncio.sleep(self.delay_s)  # a slow disk
        self.submitted.append(observation)

    def on_reject(self, reason: str, raw: bytes) -> None:
        self.rejected.append((reason, raw))


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    port = free_port()
    gw = Gateway(url=f"http://127.0.0.1:{port}")
    app = FastAPI()
    config = PosHookConfig(token=SecretStr(TOKEN))
    app.include_router(build_pos_hook_router(config, KEY, gw.submit, gw.on_reject))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield gw
    server.should_exit = True
    thread.join(10)


def _json(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def post(
    gw: Gateway, path: str, authorization: str | None = f"Bearer {TOKEN}", **kwargs: Any
) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.post(gw.url + path, headers=headers, timeout=5, **kwargs)


def test_good_checkout_reaches_submit_then_202(gateway: Gateway) -> None:
    response = post(gateway, "/pos/checkout", json=CHECKOUT)
    assert (response.status_code, response.json()) == (202, {"accepted": True})
    (observation,) = gateway.submitted
    body = observation.body
    assert isinstance(body, PosCheckout)
    assert (body.receipt_no, body.total, body.currency) == ("R123", 1280, "CNY")
    assert body.member is not None and body.member.value == "04A1B2C3"
    assert gateway.rejected == []


def test_service_with_raw_phone_is_hashed(gateway: Gateway) -> None:
    payload = {"service_type": "bp_check", "member": {"kind": "phone", "value": "138 0013 8000"}}
    assert post(gateway, "/pos/service", json=payload).status_code == 202
    body = gateway.submitted[0].body
    assert isinstance(body, PosServiceLogged) and body.member is not None
    assert body.member.kind is IdentifierKind.PHONE_HASH
    assert body.member.value == keyed_hash(KEY, IdentifierKind.PHONE_HASH, "+8613800138000")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-of-the-same-len", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN],
)
def test_missing_or_wrong_token_is_401_and_nothing_is_recorded(
    gateway: Gateway, authorization: str | None
) -> None:
    response = post(gateway, "/pos/checkout", authorization, content=b"not even json")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert gateway.submitted == [] and gateway.rejected == []


ITEM = {"sku": "A", "qty": 1, "unit_price": 5}
BAD_BODIES = [
    (b"{not json", "malformed: Invalid JSON"),
    (_json(receipt_no="R1", total=12.8, items=[]), "total: Input should be a valid integer"),
    (_json(receipt_no="R1", total="5", items=[ITEM]), "total: Input should be a valid integer"),
    (
        _json(receipt_no="R1", total=9, items=[ITEM]),
        "total_mismatch: items add up to 5, total is 9",
    ),
    (
        _json(receipt_no="R1", total=5, items=[ITEM], member={"kind": "wechat", "value": "x"}),
        "bad_member: unknown member kind 'wechat'",
    ),
    (
        _json(receipt_no="R1", total=5, items=[ITEM], coupon=1),
        "coupon: Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(("body", "words"), BAD_BODIES)
def test_bad_body_is_422_with_reason_and_dead_lettered(
    gateway: Gateway, body: bytes, words: str
) -> None:
    response = post(gateway, "/pos/checkout", content=body)
    assert response.status_code == 422
    assert words in response.json()["detail"]
    # kept as sent, but for the member's value (identifiers stay out of dead letters)
    kept = body.replace(b'"value": "x"', b'"value": "<redacted>"')
    assert gateway.rejected == [(response.json()["detail"], kept)]
    assert gateway.submitted == []


def test_a_nul_in_a_field_is_refused_at_the_hook_not_at_the_hub(gateway: Gateway) -> None:
    item = b'{"sku": "A", "name": "a\\u0000b", "qty": 1, "unit_price": 5}'  # as curl sends it
    body = b'{"receipt_no": "R1", "total": 5, "items": [' + item + b"]}"
    response = post(gateway, "/pos/checkout", content=body)
    assert response.status_code == 422
    assert response.json()["detail"] == "bad_value: items.0.name: must not contain a NUL character"
    assert gateway.submitted == []


def test_a_refused_body_is_dead_lettered_without_the_members_number(gateway: Gateway) -> None:
    member = {"kind": "phone", "value": "138 0013 8000"}
    body = _json(receipt_no="R1", total=9, items=[ITEM], member=member)
    assert post(gateway, "/pos/checkout", content=body).status_code == 422
    [(reason, raw)] = gateway.rejected
    assert reason.startswith("total_mismatch")
    assert json.loads(raw) == {
        **json.loads(body),
        "member": {"kind": "phone", "value": "<redacted>"},
    }
    broken = body[:-1]  # not JSON: the member's value is found by its key
    assert post(gateway, "/pos/checkout", content=broken).status_code == 422
    assert gateway.rejected[1][0].startswith("malformed: Invalid JSON")
    assert gateway.rejected[1][1] == broken.replace(b"138 0013 8000", b"<redacted>")


def test_full_outbox_is_503_so_the_pos_retries(gateway: Gateway) -> None:
    gateway.full = True
    response = post(gateway, "/pos/checkout", json=CHECKOUT)
    assert response.status_code == 503 and response.headers["retry-after"] == "30"


def test_openapi_documents_the_request_bodies(gateway: Gateway) -> None:
    spec = httpx.get(gateway.url + "/openapi.json", timeout=5).json()
    schema = spec["paths"]["/pos/checkout"]["post"]["requestBody"]["content"]["application/json"]
    assert "receipt_no" in schema["schema"]["properties"]


@pytest.mark.parametrize("token", ["", "short", "a" * 40, " " + TOKEN])
def test_weak_tokens_are_refused(token: str) -> None:
    with pytest.raises(ValidationError, match="token"):
        PosHookConfig(token=SecretStr(token))


def test_submit_is_awaited_before_202(gateway: Gateway) -> None:
    """The 202 is durable: a slow outbox write delays the answer instead of being skipped."""
    gateway.delay_s = 0.2
    response = post(gateway, "/pos/checkout", json=CHECKOUT)
    assert response.status_code == 202 and len(gateway.submitted) == 1


def test_oversized_body_is_refused_without_reading_it_all(gateway: Gateway) -> None:
    body = b'{"receipt_no": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    response = post(gateway, "/pos/checkout", content=body)
    assert response.status_code == 422 and "body over" in response.json()["detail"]
    (_reason, raw) = gateway.rejected[0]
    assert raw == body[: len(raw)] and len(raw) <= MAX_BODY_BYTES + 65536
