"""Phones and e-mail addresses as people type them, made canonical: E.164 by libphonenumber,
addresses by email-validator. Every channel (API, import, leads, WeCom) goes through here, so
one person typed two ways is one identity. Reasons never quote the value: it is personal."""

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

# Mainland China: numbers without a country code are read as Chinese (13812345678,
# 021-6234 5678); "+86" and "0086" prefixes are read by libphonenumber as such.
DEFAULT_REGION = "CN"


class ContactError(ValueError):
    """A phone or address that is not one; the message names the reason, never the value."""


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 of a phone typed any common way: spaces, dashes, brackets, full-width digits,
    +86 / 0086, area codes of landlines."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ContactError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactError("not a valid phone number for its country and area code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    """The address as email-validator normalises it (domain lower-cased, IDNA); syntax
    only, no DNS lookup."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ContactError(f"not an e-mail address: {exc}") from exc


def _phone(value: str) -> str:
    return normalise_phone(value)


def _email(value: str) -> str:
    return normalise_email(value)


# Inputs that accept what people type and hand on the canonical form.
AnyPhone = Annotated[
    str,
    Field(
        min_length=3,
        max_length=40,
        description="a phone number as typed (mainland numbers need no +86); stored as E.164",
        examples=["138 1234 5678", "+86 21 6234 5678"],
    ),
    AfterValidator(_phone),
]
AnyEmail = Annotated[
    str,
    Field(min_length=3, max_length=320, description="checked by email-validator (no DNS)"),
    AfterValidator(_email),
]
