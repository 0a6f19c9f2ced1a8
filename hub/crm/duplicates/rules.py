"""The `[duplicates]` section of the hub settings: matching rules, each a name and the
fields two customers must share (all of them, none blank). Adding a rule is an entry in
the settings file; adding a field is a line in FIELDS.

Identifiers themselves (a phone's hash, an ID-card hash, an e-mail) are unique in a
tenant: two records can never hold the same one, since incoming data that names a held
identifier joins its holder. What is left to find is the same person under different
identifiers: the same name and birthday, the same phone kept on an older record's own
`phone` column, and so on."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func

MatchField = Literal["name", "birthday", "phone", "home_store"]


def field_sql(customers: Any, name: MatchField) -> Any:
    """The comparable value of a field; NULL (blank) never matches."""
    match name:
        case "name":  # spaces and case do not make two people
            return func.nullif(func.lower(func.replace(customers.name, " ", "")), "")
        case "birthday":
            return customers.birthday
        case "phone":  # E.164 on records imported with a phone column
            return func.nullif(customers.phone, "")
        case "home_store":
            return customers.home_store_id


class MatchRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="the reason given")
    fields: tuple[MatchField, ...] = Field(min_length=1, max_length=4)


DEFAULT_RULES = (
    MatchRule(name="same_phone", fields=("phone",)),
    MatchRule(name="name_and_birthday", fields=("name", "birthday")),
)


class DuplicateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[MatchRule, ...] = Field(default=DEFAULT_RULES, max_length=20)
