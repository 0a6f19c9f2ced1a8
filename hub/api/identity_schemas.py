"""Request and answer shapes of customers' identities, duplicates and merges."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.api.schemas import CustomerProfile
from hub.crm.org.fields import PRINTABLE

# No control characters (PostgreSQL refuses a NUL; C1 ones are never typed).
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
Typed = Annotated[str, Field(min_length=1, max_length=64, pattern=_PRINTABLE)]
CustomerRef = Annotated[str, Field(min_length=1, max_length=64, pattern=PRINTABLE)]
IdentityKind = Literal["phone", "email", "card_uid", "id_card_number", "member_no", "wecom_id"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class CustomerDraft(_In):
    """A person as they give themselves at a counter or on a form. Phones as typed (any
    common format: 138-1234-5678, +86 138 1234 5678, 0086…, (021)6234-5678, full-width
    digits), normalised to E.164 and kept as keyed hashes only; the ID-card number is
    hashed at once and never stored."""

    name: str = Field(default="", max_length=200, pattern=_PRINTABLE)
    phones: list[Typed] = Field(default_factory=list, max_length=5, examples=[["138-1234-5678"]])
    emails: list[Typed] = Field(default_factory=list, max_length=5)
    card_uids: list[Typed] = Field(default_factory=list, max_length=5)
    id_card_number: Typed | None = Field(default=None, examples=["11010519491231002X"])
    member_no: Typed | None = None
    wecom_id: Typed | None = None
    birthday: date | None = Field(default=None, description="YYYY-MM-DD")
    home_store_id: CustomerRef | None = Field(
        default=None, description="required of a caller scoped to stores: one of theirs"
    )


class IdentityDraft(_In):
    kind: IdentityKind
    value: Typed


class IdentityRef(_Out):
    id: int = Field(description="for DELETE /customers/{customer_id}/identities/{identity_id}")
    kind: str = Field(description="phone_hash, id_hash, email, card_uid, member_no, wecom_id")
    value: str = Field(description="masked: the hub never gives an identifier back whole")
    since: datetime


class CustomerMatched(_Out):
    customer: CustomerProfile
    birthday: date | None = Field(description="for roles shown the full name; else null")
    identities: list[IdentityRef]
    created: bool = Field(description="false: an identifier was held; this is its customer")
    matched_by: list[str] = Field(description="the kinds of the identifiers already held")
    added: list[str] = Field(description="the kinds this request gave the customer")


class IdentityList(_Out):
    identities: list[IdentityRef]


class MergeDraft(_In):
    survivor_id: CustomerRef = Field(description="the record that stays")
    merged_id: CustomerRef = Field(description="the record folded into it (hidden after)")


class MergeOut(_Out):
    id: str
    survivor_id: str
    merged_id: str
    at: datetime
    actor: str
    moved: dict[str, int] = Field(description="table -> rows the merge moved to the survivor")
    undone_at: datetime | None
    undone_by: str | None
    moved_back: dict[str, int] | None = Field(
        default=None, description="on undo: table -> rows back with the merged customer"
    )
    arrived_after_merge: dict[str, int] | None = Field(
        default=None, description="on undo: rows that came after the merge, gone back too"
    )


class PairOut(_Out):
    first_id: str
    second_id: str
    reasons: list[str] = Field(description="the matching rules that found them")


class PairPage(_Out):
    pairs: list[PairOut]
    next: str | None = Field(description="pass as `after` for the next page; null: no more")
