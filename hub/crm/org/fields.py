"""Field types of regions, stores and staff, checked where they enter (API, CLI, seed).

Each constraint is in the JSON Schema too (patterns, ranges, enums, formats), so that a
client written from the OpenAPI document, or a fuzzer, sends only what is accepted.
Two checks go beyond a pattern and say so in the schema: a phone number must be a valid
number by libphonenumber (format `phone-e164`), an e-mail address must pass
email-validator's syntax check (format `email`)."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictFloat,
    WithJsonSchema,
)

from hub.auth.scope import STAFF_ROLES, Role

# Ids of regions and stores: the names gateways and configs use, e.g. "store-sh-xuhui".
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# Free text and foreign ids: no C0 control character or DEL (NUL would fail in PostgreSQL).
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
PRINTABLE_OR_EMPTY = r"^[^\x00-\x1f\x7f]*$"
RecordId = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG_PATTERN)]
# No control characters (C0 or C1), at least one that is not a space; spaces around are
# dropped. Spelled out, not with \s: JSON Schema's regex and Python's disagree on it.
Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
    ),
    AfterValidator(lambda name: name.strip(" ")),
]
Address = Annotated[str, Field(max_length=500, pattern=PRINTABLE_OR_EMPTY)]
City = Annotated[str, Field(max_length=100, pattern=PRINTABLE_OR_EMPTY)]
# What a till sends as staff_id and a store device's clerk list holds (edge clerks).
StaffCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["S01"])]
SkillTag = Annotated[
    str, Field(min_length=1, max_length=32, pattern=SLUG_PATTERN, examples=["diabetes-care"])
]
Skills = Annotated[list[SkillTag], Field(max_length=32), AfterValidator(lambda s: sorted(set(s)))]


def _zone_names() -> list[str]:
    # Region/City names and UTC; not the zone database's aliases like "localtime".
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


ZONES = frozenset(_zone_names())


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"not an IANA time zone: {name!r}") from exc
    if name not in ZONES:
        raise ValueError(f"not an IANA time zone: {name!r}")
    return name


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_zone),
    WithJsonSchema({"type": "string", "enum": sorted(ZONES), "description": "an IANA time zone"}),
]


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


Phone = Annotated[
    str,
    Field(
        pattern=r"^\+[1-9][0-9]{6,14}$",
        json_schema_extra={"format": "phone-e164"},
        description="E.164, and a valid number by libphonenumber, e.g. +8613812345678",
        examples=["+8613812345678"],
    ),
    AfterValidator(_e164),
]


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


# email-validator refuses the special-use domains (RFC 6761 and friends) that JSON Schema's
# "email" format allows: the pattern says so, in JSON Schema's regex (no inline flags).
_SPECIAL_USE = "|".join(map(_any_case, ("arpa", "invalid", "local", "localhost", "onion", "test")))
Email = Annotated[
    EmailStr,
    Field(
        max_length=320,
        pattern=rf"^(?!.*@(?:.*\.)?(?:{_SPECIAL_USE})$)",
        description="checked by email-validator (syntax, no DNS); not a special-use domain",
        examples=["li.na@example.com"],
    ),
]


class Coordinates(BaseModel):
    """WGS 84 degrees; both or neither, so they travel as one object."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    # Strict: a JSON true is not the number 1.
    latitude: StrictFloat = Field(ge=-90, le=90, examples=[31.1955])
    longitude: StrictFloat = Field(ge=-180, le=180, examples=[121.4387])


def _staff_role(role: Role) -> Role:
    if role not in STAFF_ROLES:
        raise ValueError(f"not a role of staff: {role.value}")
    return role


# A person's role: every Role but `integration`, which only API keys have.
StaffRole = Annotated[
    Role,
    AfterValidator(_staff_role),
    WithJsonSchema({"type": "string", "enum": sorted(r.value for r in STAFF_ROLES)}),
]
