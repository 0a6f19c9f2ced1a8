"""POS profiles: how one kind of POS spells its records. Configuration, not code branches.

A new POS that emits the same shape of record with other names (`RCT` instead of `CHK`,
`receipt` instead of `rcpt`, `card:` instead of `card_uid:`) gets a new profile entry,
never a new parser. Profiles can be loaded from the gateway TOML as plain tables.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.errors import ConfigError
from wire.identity import IdentifierKind

MemberKind = IdentifierKind | Literal["phone"]  # "phone": a raw number, hashed at the edge
Key = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")]


class RecordFields(BaseModel):
    """The key of each field in a text record (`key=value`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    receipt: Key = "rcpt"
    member: Key = "mbr"
    staff: Key = "staff"
    total: Key = "total"
    item: Key = "item"
    currency: Key = "cur"
    terminal: Key = "term"
    service_type: Key = "type"
    note: Key = "note"

    @model_validator(mode="after")
    def _distinct(self) -> "RecordFields":
        keys = list(self.model_dump().values())
        if len(set(keys)) != len(keys):
            raise ValueError(f"field keys must be distinct, got {keys}")
        return self


def _default_member_kinds() -> dict[str, MemberKind]:
    kinds: dict[str, MemberKind] = {kind.value: kind for kind in IdentifierKind}
    kinds["phone"] = "phone"
    return kinds


class PosProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Key
    checkout_code: Key = "CHK"
    service_code: Key = "SVC"
    field_keys: RecordFields = RecordFields()
    # member prefix as the POS writes it (`mbr=<prefix>:<value>`) -> what it means
    member_kinds: dict[str, MemberKind] = Field(default_factory=_default_member_kinds)
    default_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    phone_region: str = Field(default="CN", pattern=r"^[A-Z]{2}$", description="for local numbers")
    ignore_unknown_fields: bool = True  # a POS upgrade that adds fields must not stop sales

    @model_validator(mode="after")
    def _distinct_codes(self) -> "PosProfile":
        if self.checkout_code == self.service_code:
            raise ValueError("checkout_code and service_code must differ")
        return self


SP_TEXT_V1 = PosProfile(name="sp-text-v1")
BUILTIN_PROFILES: dict[str, PosProfile] = {SP_TEXT_V1.name: SP_TEXT_V1}


def resolve_profile(name: str, profiles: dict[str, PosProfile] | None = None) -> PosProfile:
    """The named profile from `profiles` or the built-ins; ConfigError names what exists."""
    table = {**BUILTIN_PROFILES, **(profiles or {})}
    if name not in table:
        raise ConfigError(f"profile: unknown POS profile {name!r}; known: {sorted(table)}")
    return table[name]
