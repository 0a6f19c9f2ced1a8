"""The contract's limits live in its models (wire/limits.py): what one side builds, the other
decodes. No NUL anywhere, hashes that are hashes, totals that are their lines."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel, ValidationError

from wire.codec import decode_batch, encode, first_error
from wire.errors import WireError
from wire.events import (
    CardTapped,
    IdCardRead,
    LeadCaptured,
    LineItem,
    PosCheckout,
    PosServiceLogged,
    PromptActed,
    PromptShown,
    ReaderStatus,
    make_event,
)
from wire.identity import Identifier, IdentifierKind, keyed_hash
from wire.limits import fitted
from wire.messages import EventBatch, GatewayStatus, ReaderState, ShowPrompt

RAW_ID = "310106199001012343"  # the form of a resident ID number (made up)
HASH = keyed_hash(b"k", IdentifierKind.ID_HASH, RAW_ID)
ITEM = {"sku": "A", "qty": 1, "unit_price": 5}
# every text field of the contract's event bodies, with the smallest valid body around it
TEXT_FIELDS: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    (CardTapped, {"uid": "04A1B2C3", "technology": "t", "reader": "r"}, "technology"),
    (CardTapped, {"uid": "04A1B2C3", "technology": "t", "reader": "r"}, "reader"),
    (CardTapped, {"uid": "04A1B2C3", "technology": "t", "reader": "r"}, "member_no"),
    (IdCardRead, {"card_hash": HASH, "profile": "p", "reader": "r"}, "profile"),
    (IdCardRead, {"card_hash": HASH, "profile": "p", "reader": "r"}, "reader"),
    (LineItem, ITEM, "sku"),
    (LineItem, ITEM, "name"),
    (PosCheckout, {"receipt_no": "R", "items": [ITEM], "total": 5}, "receipt_no"),
    (PosCheckout, {"receipt_no": "R", "items": [ITEM], "total": 5}, "staff_id"),
    (PosCheckout, {"receipt_no": "R", "items": [ITEM], "total": 5}, "terminal"),
    (PosServiceLogged, {"service_type": "s"}, "service_type"),
    (PosServiceLogged, {"service_type": "s"}, "note"),
    (PosServiceLogged, {"service_type": "s"}, "staff_id"),
    (PromptShown, {"prompt_id": uuid4(), "trigger": "t"}, "trigger"),
    (PromptShown, {"prompt_id": uuid4(), "trigger": "t"}, "customer_id"),
    (PromptActed, {"prompt_id": uuid4(), "action": "done"}, "note"),
    (LeadCaptured, {"source": "s"}, "name"),
    (ReaderStatus, {"reader": "r", "kind": "nfc", "state": "up"}, "detail"),
    (Identifier, {"kind": "member_no", "value": "M1"}, "value"),
    (ReaderState, {"name": "n", "kind": "k", "state": "up"}, "detail"),
    (GatewayStatus, {"gateway_id": "gw-1", "state": "online"}, "version"),
    (ShowPrompt, {"title": "t", "text": "x"}, "text"),
]


@pytest.mark.parametrize(("model", "valid", "field"), TEXT_FIELDS)
def test_no_text_of_the_contract_holds_a_nul(
    model: type[BaseModel], valid: dict[str, Any], field: str
) -> None:
    model.model_validate({**valid, field: "ab"})
    with pytest.raises(ValidationError) as caught:
        model.model_validate({**valid, field: "a\x00b"})
    assert first_error(caught.value) == f"{field}: must not contain a NUL character"


@pytest.mark.parametrize("kind", [IdentifierKind.ID_HASH, IdentifierKind.PHONE_HASH])
@pytest.mark.parametrize(
    "value", [RAW_ID, "+8613800138000", HASH.upper(), HASH[:63], HASH + "\n", HASH + "0"]
)
def test_a_hash_identifier_must_be_a_hash(kind: IdentifierKind, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Identifier(kind=kind, value=value)
    assert "64 lower-case hex digits" in str(caught.value)
    assert value not in first_error(caught.value)  # the number is never quoted


def test_hashes_and_other_identifiers_pass() -> None:
    assert Identifier(kind=IdentifierKind.ID_HASH, value=HASH).value == HASH
    assert Identifier(kind=IdentifierKind.MEMBER_NO, value=RAW_ID).value == RAW_ID
    with pytest.raises(ValidationError):
        IdCardRead(card_hash=RAW_ID, profile="p", reader="r")


def test_a_checkout_total_is_the_sum_of_its_lines() -> None:
    lines = [LineItem(sku="A", qty=2, unit_price=500), LineItem(sku="C", qty=1, unit_price=-100)]
    assert PosCheckout(receipt_no="R", items=lines, total=900).total == 900
    with pytest.raises(ValidationError) as caught:
        PosCheckout(receipt_no="R", items=lines, total=1000)
    [error] = caught.value.errors()
    assert (error["type"], error["msg"]) == ("total_mismatch", "items add up to 900, total is 1000")


def _batch_doc() -> dict[str, Any]:
    now = datetime.now(UTC)
    body = PosCheckout(receipt_no="R", items=[LineItem(sku="A", qty=1, unit_price=5)], total=5)
    event = make_event(body, event_id=uuid4(), gateway_id="gw-1", seq=1, occurred_at=now)
    doc: dict[str, Any] = json.loads(
        encode(EventBatch(gateway_id="gw-1", epoch=uuid4(), sent_at=now, events=[event]))
    )
    return doc


def _set_name(body: dict[str, Any]) -> None:
    body["items"][0]["name"] = "a\x00b"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_set_name, "invalid text"),
        (lambda body: body.update(total=6), "invalid message"),
        (lambda body: body.update(member={"kind": "id_hash", "value": RAW_ID}), "invalid message"),
        (lambda body: body.update(receipt_no="R" * 201), "invalid message"),
    ],
    ids=["nul", "total", "raw-id", "long"],
)
def test_the_hub_decoder_refuses_what_the_models_refuse(
    damage: Callable[[dict[str, Any]], None], reason: str
) -> None:
    doc = _batch_doc()
    decode_batch(json.dumps(doc).encode())
    damage(doc["events"][0]["body"])
    with pytest.raises(WireError) as caught:
        decode_batch(json.dumps(doc).encode())
    assert caught.value.reason == reason


def test_text_a_side_composes_itself_is_fitted_to_the_contract() -> None:
    detail = fitted("open /dev/ttyUSB0\x00: device gone " * 40)
    status = ReaderStatus(reader="pos0", kind="pos_serial", state="down", detail=detail)
    assert status.detail.startswith("open /dev/ttyUSB0\\0: device gone")
    assert len(status.detail) == 500
