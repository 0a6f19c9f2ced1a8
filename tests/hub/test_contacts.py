"""Phones and addresses as people type them. The expected E.164 forms are written by hand
from the numbering plan: mainland mobiles are 1 + 10 digits after +86, landlines drop the
trunk 0 of their area code (021 Shanghai, 0571 Hangzhou, 010 Beijing)."""

import pytest
from pydantic import TypeAdapter, ValidationError

from hub.crm.contacts import AnyPhone, ContactError, normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("+86-13812345678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("0086 138 1234 5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),  # full-width digits
        ("＋８６ １３８ １２３４ ５６７８", "+8613812345678"),
        ("(021) 6234 5678", "+862162345678"),
        ("021-62345678", "+862162345678"),
        ("0571-8765 4321", "+8657187654321"),
        ("+86 10 6552 9988", "+861065529988"),
        ("+852 2123 4567", "+85221234567"),  # Hong Kong, its own country code
    ],
)
def test_typed_phones_become_e164(typed: str, e164: str) -> None:
    assert normalise_phone(typed) == e164
    assert TypeAdapter(AnyPhone).validate_python(typed) == e164


@pytest.mark.parametrize("typed", ["1381234567", "12345", "call me maybe", "+86 000 0000 0000"])
def test_what_is_no_phone_is_refused_without_quoting_it(typed: str) -> None:
    with pytest.raises(ContactError) as refused:
        normalise_phone(typed)
    assert typed not in str(refused.value)
    with pytest.raises(ValidationError):
        TypeAdapter(AnyPhone).validate_python(typed)


def test_addresses_are_checked_and_their_domain_lower_cased() -> None:
    assert normalise_email("  Li.Na@Example.COM ") == "Li.Na@example.com"
    for bad in ("li.na@", "li na@example.com", "@example.com", "li.na@example..com"):
        with pytest.raises(ContactError):
            normalise_email(bad)
