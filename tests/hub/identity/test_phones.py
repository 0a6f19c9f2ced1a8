"""Phones as people really type them in mainland China all become one E.164, and so one
identity key; what is not a phone is refused with a reason that does not quote it."""

import pytest

from hub.crm.contacts import ContactError, normalise_phone
from hub.crm.identity_input import Typed, key_of, keys_of
from hub.errors import Unprocessable
from tests.hub.conftest import TENANT_KEY

MOBILE = [
    "138-1234-5678",
    "+86 138 1234 5678",
    "0086 13812345678",
    "１３８１２３４５６７８",  # full-width digits, as a Chinese IME types them
    "138 1234 5678",
    "+86-138-1234-5678",
    "１３８－１２３４－５６７８",
]
LANDLINE = ["（021）6234-5678", "021 62345678", "(021) 6234 5678", "+86 (21) 6234-5678"]


@pytest.mark.parametrize("typed", MOBILE)
def test_every_way_of_typing_a_mobile_is_one_number(typed: str) -> None:
    assert normalise_phone(typed) == "+8613812345678"


@pytest.mark.parametrize("typed", LANDLINE)
def test_a_shanghai_landline_keeps_its_area_code(typed: str) -> None:
    assert normalise_phone(typed) == "+862162345678"


def test_all_the_typings_make_one_identity_key() -> None:
    keys = {key_of(TENANT_KEY, "phone", typed) for typed in MOBILE}
    assert len(keys) == 1
    kind, value = keys.pop()
    assert kind == "phone_hash" and len(value) == 64 and "13812345678" not in value


@pytest.mark.parametrize("typed", ["12345", "138-1234-567", "hello", "+86 021"])
def test_what_is_not_a_phone_is_refused_without_quoting_it(typed: str) -> None:
    with pytest.raises(ContactError) as refused:
        normalise_phone(typed)
    assert typed not in str(refused.value)


def test_an_id_card_number_is_checked_and_hashed_at_once() -> None:
    kind, value = key_of(TENANT_KEY, "id_card_number", "11010519491231002x")
    assert kind == "id_hash" and len(value) == 64
    assert key_of(TENANT_KEY, "id_card_number", "110105 19491231002X") == (kind, value)
    with pytest.raises(ValueError, match="check character"):
        key_of(TENANT_KEY, "id_card_number", "110105194912310021")


def test_every_bad_identifier_of_a_request_is_named_by_its_place() -> None:
    typed = Typed(phones=["138-1234-5678", "nope"], emails=["a@", "wang@example.cn"])
    with pytest.raises(Unprocessable) as refused:
        keys_of(TENANT_KEY, typed)
    assert [loc for loc, _msg in refused.value.problems] == [
        ["body", "phones", "1"],
        ["body", "emails", "0"],
    ]


def test_the_same_phone_typed_twice_is_one_key() -> None:
    keys = keys_of(TENANT_KEY, Typed(phones=["13812345678", "+86 138 1234 5678"]))
    assert len(keys) == 1
